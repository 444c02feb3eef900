"""The transactional outbox: messages written as rows in the unit of work of the change they announce,
then delivered by a loop in each serving process. Two kinds go through it, each in its own table and
to its own sender: mail (infrastructure.mail, to the Mailer) and domain events (infrastructure.events,
to the EventPublisher). What they share is here: the rows' statuses, the delivery core (claim, lease,
backoff, give-up, housekeeping), the wake-up signal, and the trace context a row is written with."""
