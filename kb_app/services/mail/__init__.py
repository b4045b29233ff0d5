"""Mail and background work: mailer, reminders, scheduler, lease, outbox admin."""
