-- Issue 18: a fan-out job dispatches every event still waiting, not only its own, so a burst of
-- events is fanned out in a few transactions (server/src/reactions/dispatch.rs). This index
-- finds the waiting ones without reading the outbox's history; it holds only those.
create index event_outbox_undispatched on event_outbox (event_row_id) where dispatched_at is null;
