-- wrk script of the write benchmarks (benchmarks/writes.py):
--   wrk -s benchmarks/writes.lua URL -- MODE CREDENTIALS THREADS
-- CREDENTIALS is a file of signed-in users, one a line: `user_id access_token refresh_token post_id
-- post_version` (a post of that user's; "-" for a refresh token or a version no longer known). Each
-- wrk thread takes every THREADS-th line, so no two threads share a user, a post or a refresh token.
-- MODE:
--   create           POST /posts/ as a random user of the thread (bearer token)
--   tutorial_create  POST /posts/ with `author_id` in the body (the tutorial's way, no token)
--   patch            PATCH /posts/{id} with If-Match naming the version last answered (ETag)
--   tutorial_patch   PATCH /posts/{id} without a precondition nor a token
--   refresh          POST /auth/token, grant_type=refresh_token, with the token the last answer gave
--   mixed            90 % reads (GET /users/{id}, GET /posts/{id}), 8 % creates, 2 % refreshes
-- A post or a refresh token is taken from the thread's queue when a request is made and put back
-- (with its new version, or the rotated token) when its answer comes: never two requests in flight
-- for one, so a precondition or a rotation never fails for the benchmark's own sake. At the end the
-- file is written again with the tokens and versions as they are, for the next run.
-- Last, one line `WRK_JSON {...}` summarises the run (latencies in microseconds).

-- wrk.lua's `done` (its WRK_JSON line) is this script's too; what else it defines is redefined below.
dofile(debug.getinfo(1, "S").source:sub(2):gsub("writes%.lua$", "wrk.lua"))
local summarise = done

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("number", #threads)
end

-- FIFO queues of what requests take and answers give back: post ids (their versions in `versions`)
-- and refresh tokens. Flat tables of strings and numbers only: done() copies them out of each thread.
local function push(items, bounds, item)
  bounds.last = bounds.last + 1
  items[bounds.last] = item
end

local function pop(items, bounds)
  if bounds.first > bounds.last then
    return nil
  end
  local item = items[bounds.first]
  items[bounds.first] = nil
  bounds.first = bounds.first + 1
  return item
end

function init(args)
  mode = args[1]
  local path, count = args[2], tonumber(args[3])
  math.randomseed(number or 1)
  users, post_token = {}, {}
  posts, post_bounds, tokens, token_bounds = {}, {first = 1, last = 0}, {}, {first = 1, last = 0}
  lines, versions = {}, {}
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if (n - 1) % count == (number or 1) - 1 then
      local user, access, refresh, post, version = line:match("(%S+) (%S+) (%S+) (%S+) (%S+)")
      lines[#lines + 1] = user .. " " .. access .. " " .. post
      users[#users + 1] = {id = user, token = "Bearer " .. access}
      post_token[post] = "Bearer " .. access
      if version ~= "-" then
        versions[post] = tonumber(version)
        push(posts, post_bounds, post)
      end
      if refresh ~= "-" then
        push(tokens, token_bounds, refresh)
      end
    end
  end
  credentials, counter = path, 0
end

local JSON = {["Content-Type"] = "application/json"}
local FORM = {["Content-Type"] = "application/x-www-form-urlencoded"}

local function read()
  if math.random() < 0.5 then
    return wrk.format("GET", "/users/" .. math.random(1, 1000))
  end
  return wrk.format("GET", "/posts/" .. math.random(1, 5000))
end

local function create()
  local user = users[math.random(#users)]
  counter = counter + 1
  local body = '{"title": "A post written under load ' .. counter .. '", "content": "Some words, '
    .. 'as a post of a few sentences would have them. Nothing more to it than that."}'
  if mode == "tutorial_create" then
    body = body:sub(1, -2) .. ', "author_id": ' .. user.id .. "}"
    return wrk.format("POST", "/posts/", JSON, body)
  end
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = user.token}
  return wrk.format("POST", "/posts/", headers, body)
end

local function patch()
  local id = pop(posts, post_bounds)
  if not id then
    return read()  -- every post in flight, or lost to a failed answer (counted as an error)
  end
  counter = counter + 1
  local body = '{"title": "Edited under load ' .. counter .. '"}'
  if mode == "tutorial_patch" then
    push(posts, post_bounds, id)
    return wrk.format("PATCH", "/posts/" .. id, JSON, body)
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = post_token[id],
    ["If-Match"] = '"' .. id .. "." .. versions[id] .. '"',
  }
  versions[id] = nil  -- in flight: unknown until answered
  return wrk.format("PATCH", "/posts/" .. id, headers, body)
end

local function refresh()
  local token = pop(tokens, token_bounds)
  if not token then
    return nil
  end
  return wrk.format("POST", "/auth/token", FORM, "grant_type=refresh_token&refresh_token=" .. token)
end

function request()
  if mode == "create" or mode == "tutorial_create" then
    return create()
  elseif mode == "patch" or mode == "tutorial_patch" then
    return patch()
  elseif mode == "refresh" then
    return refresh() or read()  -- a read only if every token is in flight or lost to a failed answer
  end
  local draw = math.random()
  if draw < 0.90 then
    return read()
  elseif draw < 0.98 then
    return create()
  end
  return refresh() or read()
end

function response(status, headers, body)
  if mode == "patch" then
    local tag = headers["etag"] or headers["ETag"]
    local id, version = nil, nil
    if tag then
      id, version = tag:match('^"(%d+)%.(%d+)[."]')  -- a post's tag also names its comment count
    end
    if id then
      versions[id] = tonumber(version)
      push(posts, post_bounds, id)
    end
  elseif mode == "refresh" or mode == "mixed" then
    local token = body and body:match('"refresh_token":%s*"([^"]+)"')
    if token then
      push(tokens, token_bounds, token)
    end
  end
end

-- The credentials file again, as the threads leave it: each line's post with its last known version
-- and a refresh token still current (a session's, not necessarily the line's user's: any live one
-- will do).
local function write_back()
  local out = {}
  for _, thread in ipairs(threads) do
    local lines, versions = thread:get("lines"), thread:get("versions")
    local tokens, next_token = thread:get("tokens"), thread:get("token_bounds").first
    for _, line in ipairs(lines) do
      local user, access, post = line:match("(%S+) (%S+) (%S+)")
      local token = tokens[next_token] or "-"
      next_token = next_token + 1
      local version = versions[post] and tostring(versions[post]) or "-"
      out[#out + 1] = table.concat({user, access, token, post, version}, " ")
    end
  end
  local file = io.open(threads[1]:get("credentials"), "w")
  file:write(table.concat(out, "\n") .. "\n")
  file:close()
end

function done(summary, latency, requests)
  if #threads > 0 then
    write_back()
  end
  summarise(summary, latency, requests)
end
