-- The subscribers of the event outbox whose whole effect is database writes record here,
-- in the transaction of those writes, that they handled an event: delivery is at least
-- once, and a second delivery of the same event then changes nothing (e.g. an LTI grade
-- passback queued twice would send a second version). Same conventions as 0001.
create table reaction_done (
    reaction text not null,
    event_id text not null,
    done_at bigint not null,
    primary key (reaction, event_id)
);
