"""Mail to patients: an outbox table written in the booking's transaction, pluggable senders
(console, file, SMTP) and a dispatcher that sends due rows after the commit and on demand
(`slotwise outbox send`). See docs/notifications.md."""
