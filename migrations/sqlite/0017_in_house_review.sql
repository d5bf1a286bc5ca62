-- In-house review (vendor `in_house`): trained reviewers decide learners' photos from a
-- queue. Same conventions as 0001 (integer microseconds, 0/1 flags).

-- The reviewer role: a stored flag granted with `vouch review grant` (staff are reviewers
-- without it).
alter table app_user add column is_reviewer bigint not null default 0;

-- One row per in_house attempt, written in the transaction that submits it. It is in the
-- queue while `decided_at` is null; a claim is `claimed_by` until `claimed_until` (a lapsed
-- claim is no claim). A first denial under the second look is kept in `first_*` while the
-- attempt waits for a different reviewer.
create table review_item (
    attempt_id bigint primary key,
    receipt_id text not null unique,
    user_id bigint not null,
    queued_at bigint not null,
    claimed_by bigint,
    claimed_until bigint,
    first_reviewer bigint,
    first_reasons text,
    first_note text not null default '',
    decided_by bigint,
    decided_at bigint,
    decision text
);
create index review_item_queue on review_item (decided_at, queued_at);
create index review_item_claim on review_item (claimed_by, claimed_until);
create index review_item_user on review_item (user_id);

-- Every decision a reviewer made (first denials under the second look included), for the
-- learner's history and the decision-time figures. Reasons are stored in the vendor's error
-- format, notes are for reviewers only.
create table review_decision (
    review_decision_id integer primary key,
    attempt_id bigint not null,
    reviewer_id bigint not null,
    decision text not null,
    reasons text not null default '',
    note text not null default '',
    final bigint not null,
    queued_at bigint not null,
    created_at bigint not null
);
create index review_decision_attempt on review_decision (attempt_id);
create index review_decision_created on review_decision (created_at);

-- The "oldest item waits too long" alert: one row; `alerted` is set when an episode's alert
-- is queued and cleared when the queue is back under the threshold, so each episode alerts
-- once whatever the number of runners.
create table review_alert (
    review_alert_id bigint primary key,
    alerted bigint not null default 0,
    changed_at bigint not null
);
