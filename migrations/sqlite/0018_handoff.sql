-- "Continue on your phone": a single-use link that signs a phone into one learner's flow.
-- Only the SHA-256 of the link's token is kept, so a database read never yields a usable
-- link. A row is issued by one desktop session (which holds its id), redeemed at most once
-- (redeemed_at), and revoked when that desktop cancels, asks for a new link or signs out
-- (revoked_at); a revoked row also ends the phone session it signed in. Same conventions as
-- 0001 (integer microseconds).
create table handoff (
    handoff_id integer primary key,
    user_id bigint not null references app_user (user_id),
    token_hash text not null unique,
    created_at bigint not null,
    expires_at bigint not null,
    redeemed_at bigint,
    revoked_at bigint
);
create index handoff_user on handoff (user_id);
