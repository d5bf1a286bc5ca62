-- An LMS token's `administrator` claim now grants staff for that token only. Before, the
-- first such token stored is_staff = 1 for good, so an LMS demotion never reached Vouch.
-- Those stored flags cannot be told apart from grants made in Vouch, so every LMS-linked
-- user loses the stored flag: LMS administrators keep staff through their tokens, and an
-- operator who wants an LMS user to be staff in Vouch regardless runs `vouch create-staff`.
update app_user set is_staff = 0 where lms_user_id is not null;
