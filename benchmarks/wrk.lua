-- wrk script for benchmarks/run.py: `wrk -s benchmarks/wrk.lua URL -- PATH [MAX_ID [etag]]`.
-- "{id}" in PATH becomes a random user id in 1..MAX_ID (default 1000) on every request; each wrk
-- thread gets a fixed seed, so every app receives the same sequence of ids. With "etag", each request
-- carries `If-None-Match: "<id>.1"`: the ETag of a seeded user (version 1), so ours answers 304.
-- A PATH without "{id}" is sent as is: by WRK_METHOD (GET by default), with WRK_BODY as its JSON body and
-- WRK_AUTHORIZATION as its Authorization header when these environment variables are set.
-- At the end, one line `WRK_JSON {...}` summarises the run (latencies in microseconds).

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  template = args[1] or "/"
  max_id = tonumber(args[2] or "1000")
  etag = args[3] == "etag"
  math.randomseed(seed or 1)
  if not template:find("{id}", 1, true) then
    local headers = {}
    local body = os.getenv("WRK_BODY")
    if body then
      headers["Content-Type"] = "application/json"
    end
    if os.getenv("WRK_AUTHORIZATION") then
      headers["Authorization"] = os.getenv("WRK_AUTHORIZATION")
    end
    fixed = wrk.format(os.getenv("WRK_METHOD") or "GET", template, headers, body)
  end
end

local function random_id()
  return tostring(math.random(1, max_id))
end

function request()
  if fixed then
    return fixed
  end
  local id = random_id()
  local path = template:gsub("{id}", id)
  if etag then
    return wrk.format("GET", path, {["If-None-Match"] = '"' .. id .. '.1"'})
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
