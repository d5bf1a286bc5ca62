-- Course context (issue 16): the course a photo attempt was submitted for, and the course
-- runs the LMS reports (their name, shown in the flow, and their end, which a non-explicit
-- verification deadline follows). Same conventions as 0001 (integer microseconds).

-- The course key the learner verified for (Open edX's `course_key` form field); null when
-- the learner came without one.
alter table photo_verification add column course_key text;

-- One row per course run, as the LMS last reported it through PUT /api/v1/courses/{course_key}.
create table course_run (
    course_key text primary key,
    display_name text not null default '',
    end_at bigint,
    modified_at bigint not null
);
