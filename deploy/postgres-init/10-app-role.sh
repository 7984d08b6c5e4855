#!/bin/sh
# Run once by the postgres image when it creates the database: the role the product connects as (DATABASE_APP_ROLE).
# It owns nothing; `migrate`, run as the owner (POSTGRES_USER), grants it row rights on every table.
set -eu
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE poradnia_app LOGIN PASSWORD :'app_password';
SQL
