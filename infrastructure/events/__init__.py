"""Domain events out of the outbox: the event rows' records, their delivery loop, the CloudEvents
envelope, and the EventPublisher adapters (RabbitMQ on aio-pika, NATS JetStream on nats-py, in memory)."""
