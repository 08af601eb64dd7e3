-- Mounted into /docker-entrypoint-initdb.d of the `postgres` service (docker-compose.yml).
-- The postgres image runs it once, as POSTGRES_USER (temporal), and only when the data
-- volume is empty (first `docker compose up`); on later starts it is skipped. After changing
-- it, recreate the volume: `docker compose down -v`.
--
-- The app gets its own role and database beside Temporal's `temporal` and `temporal_visibility`
-- (which the admin-tools job creates). The database owner can create tables in its `public`
-- schema (Postgres 15+), which is all the app's migrations need.
CREATE ROLE attribution WITH LOGIN PASSWORD 'attribution';
CREATE DATABASE attribution OWNER attribution;
