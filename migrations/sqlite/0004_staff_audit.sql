-- The staff audit log: every use of a staff tool that reveals a learner's data (photo URLs,
-- decrypted photos), written in the same request as the use. Refusals are not recorded.
-- Same conventions as 0001 (integer microseconds).

create table staff_action (
    staff_action_id integer primary key,
    staff_user_id bigint not null references app_user (user_id),
    action text not null,
    target_kind text not null,
    target_id text not null,
    detail text not null default '',
    created_at bigint not null
);
create index staff_action_target on staff_action (target_kind, target_id);
create index staff_action_staff_user on staff_action (staff_user_id, created_at);
