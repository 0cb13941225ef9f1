FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api_client ./api_client
COPY worker ./worker
COPY gateway ./gateway
RUN pip install --no-cache-dir ".[all]" && useradd --create-home bookings
USER bookings
CMD ["celery", "-A", "worker", "worker", "--loglevel", "INFO"]
