-- Photo retention: when the photos of a decided attempt were deleted from the vault, the
-- record of every photo deletion (retention, a deleted attempt, garbage collection), and the
-- indexes that tell whether an object is still referenced. Same conventions as 0001
-- (integer microseconds).

-- Set when the attempt's photos left the vault; the attempt keeps its row, statuses and
-- history, and its photo references are cleared.
alter table photo_verification add column photos_deleted_at bigint;

-- The retention sweep reads decided attempts whose photos are still kept, oldest first.
create index photo_verification_photos_kept on photo_verification (status_changed_at)
    where photos_deleted_at is null;

-- Whether a vault object is referenced (garbage collection, the vendor's photo URLs, an ID
-- photo that later attempts reuse).
create index photo_verification_face_ref on photo_verification (face_image_ref);
create index photo_verification_photo_id_ref on photo_verification (photo_id_image_ref);

-- One row per vault object deleted. object_key (e.g. face/<receipt id>) and attempt_uuid
-- identify what was deleted without personal data; cause is retention, delete_attempt or gc;
-- actor is job or cli.
create table photo_deletion (
    photo_deletion_id integer primary key,
    object_key text not null,
    attempt_uuid text,
    cause text not null,
    actor text not null,
    created_at bigint not null
);
create index photo_deletion_attempt on photo_deletion (attempt_uuid);
create index photo_deletion_object on photo_deletion (object_key);
