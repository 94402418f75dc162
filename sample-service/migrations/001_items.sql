-- Up Migration
-- The sample service's table, as the releases before migrations created it themselves: `if not
-- exists` adopts the table a running release already made (and its rows) instead of failing.
create table if not exists items (
    id serial primary key,
    name text not null,
    created_at timestamptz default now()
);

-- Down Migration
-- Reverting the baseline leaves the table and its rows: releases that predate migrations still
-- create and use it, so dropping it would break them (and lose the data).
select 1;
