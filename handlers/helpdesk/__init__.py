"""The helpdesk: a person's ticket (person), opening it (opening), the agents' forum group
(agents), relaying both ways through an outbox (relay), corrections (edits), and the repeating
job for reminders and retries (jobs)."""
