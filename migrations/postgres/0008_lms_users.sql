-- LMS sign-in: the LMS's user id, so a JWT maps to one Vouch user even when the username
-- changes. NULL for users who never signed in through the LMS.
alter table app_user add column lms_user_id bigint;
create unique index app_user_lms_user_id on app_user (lms_user_id);
