# The production image: the same code for web (ASGI), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The fonts printable documents are drawn with (PDF_FONT_PATH).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml constraints.txt README.md ./
RUN pip install --constraint constraints.txt .

COPY . .
# collectstatic and the catalogues only need settings to load; these values exist for the build step alone.
RUN DJANGO_ENV=production SECRET_KEY=image-build-only SECRETS_ENCRYPTION_KEYS=image-build-only ALLOWED_HOSTS=build REDIS_URL=redis://build:6379/0 DATABASE_URL=postgres://build/build \
        python manage.py collectstatic --no-input --verbosity 0 \
    && DJANGO_ENV=production SECRET_KEY=image-build-only SECRETS_ENCRYPTION_KEYS=image-build-only ALLOWED_HOSTS=build REDIS_URL=redis://build:6379/0 DATABASE_URL=postgres://build/build \
        python manage.py translations_compile --verbosity 0 \
    && useradd --system --home /app poradnia \
    && mkdir -p /data && chown poradnia /data \
    && install -d -o poradnia -m 700 /var/lib/poradnia/documents
USER poradnia

EXPOSE 8000
# Forwarded headers are judged by the application against TRUSTED_PROXIES (core.middleware), never by uvicorn; no
# access log, as URLs and client addresses are personal data.
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers", "--no-access-log"]
