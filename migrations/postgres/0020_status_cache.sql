-- Issue 18: the status cache. Every write to an attempt table, and every change to an account's
-- sign-in fields, sends the learner's id on channel vouch_status at commit; every process
-- LISTENs and evicts its cached answers (server/src/status_cache). A trigger sees every
-- writer, including deletions, retirement and an operator's SQL. PostgreSQL folds identical
-- notifications of one transaction into one.
create function vouch_status_notify() returns trigger language plpgsql as $$
declare
    who bigint;
    seen text;
begin
    if tg_op = 'DELETE' then
        who := old.user_id;
    else
        who := new.user_id;
    end if;
    perform pg_notify('vouch_status', who::text);
    -- The learners this transaction touched, for its own process to evict right after its
    -- commit (read back by Store's Tx::commit). Past a few hundred, '*': evict everything.
    seen := coalesce(current_setting('vouch.touched', true), '');
    if seen <> '*' then
        if length(seen) > 4000 then
            perform set_config('vouch.touched', '*', true);
        elsif position((',' || who || ',') in (',' || seen)) = 0 then
            perform set_config('vouch.touched', seen || who || ',', true);
        end if;
    end if;
    return null;
end
$$;

create trigger photo_verification_changed after insert or update or delete on photo_verification for each row execute function vouch_status_notify();
create trigger sso_verification_changed after insert or update or delete on sso_verification for each row execute function vouch_status_notify();
create trigger manual_verification_changed after insert or update or delete on manual_verification for each row execute function vouch_status_notify();
create trigger verification_attempt_changed after insert or update or delete on verification_attempt for each row execute function vouch_status_notify();
create trigger app_user_changed_upd after update on app_user for each row when (old.username is distinct from new.username or old.email is distinct from new.email or old.full_name is distinct from new.full_name or old.is_staff is distinct from new.is_staff or old.is_active is distinct from new.is_active or old.is_reviewer is distinct from new.is_reviewer or old.lms_user_id is distinct from new.lms_user_id) execute function vouch_status_notify();
create trigger app_user_changed_del after delete on app_user for each row execute function vouch_status_notify();
