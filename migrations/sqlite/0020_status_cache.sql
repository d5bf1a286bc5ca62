-- Issue 18: the status cache. Every write to an attempt table, and every change to an account's
-- sign-in fields, logs the learner in status_change; processes sharing this file read it to
-- evict their cached answers (server/src/status_cache). A trigger sees every writer, including
-- deletions, retirement and an operator's SQL, which no single code path would.
create table status_change (
    seq integer primary key autoincrement,
    user_id bigint not null,
    changed_at bigint not null
);
create index status_change_changed_at on status_change (changed_at);
-- The highest position ever pruned: a reader behind it missed changes and flushes.
create table status_change_pruned (pruned_through bigint not null);
insert into status_change_pruned (pruned_through) values (0);

create trigger photo_verification_changed_ins after insert on photo_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger photo_verification_changed_upd after update on photo_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger photo_verification_changed_del after delete on photo_verification begin insert into status_change (user_id, changed_at) values (old.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger sso_verification_changed_ins after insert on sso_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger sso_verification_changed_upd after update on sso_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger sso_verification_changed_del after delete on sso_verification begin insert into status_change (user_id, changed_at) values (old.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger manual_verification_changed_ins after insert on manual_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger manual_verification_changed_upd after update on manual_verification begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger manual_verification_changed_del after delete on manual_verification begin insert into status_change (user_id, changed_at) values (old.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger verification_attempt_changed_ins after insert on verification_attempt begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger verification_attempt_changed_upd after update on verification_attempt begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger verification_attempt_changed_del after delete on verification_attempt begin insert into status_change (user_id, changed_at) values (old.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger app_user_changed_upd after update on app_user when old.username is not new.username or old.email is not new.email or old.full_name is not new.full_name or old.is_staff is not new.is_staff or old.is_active is not new.is_active or old.is_reviewer is not new.is_reviewer or old.lms_user_id is not new.lms_user_id begin insert into status_change (user_id, changed_at) values (new.user_id, cast(strftime('%s', 'now') as integer)); end;
create trigger app_user_changed_del after delete on app_user begin insert into status_change (user_id, changed_at) values (old.user_id, cast(strftime('%s', 'now') as integer)); end;
