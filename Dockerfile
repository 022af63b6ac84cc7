FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie fonts-dejavu-core fonts-noto-core libgl1 libglib2.0-0 curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ocr_service ocr_service
COPY models models
COPY review_ui review_ui
COPY migrations migrations
# Optional extras, e.g. `docker build --build-arg SOHOA_EXTRAS=train -t sohoa-train:latest .`
# for the train worker (docker-compose.yml). PyPI's torch wheel for Linux brings the CUDA
# libraries (gigabytes); PyTorch's CPU index has the same version as 2.13.0+cpu, which pip
# prefers (a local version sorts after its public one). Empty: the image installs `.` alone.
ARG SOHOA_EXTRAS=""
RUN if [ -n "$SOHOA_EXTRAS" ]; then \
      pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \
        ".[$SOHOA_EXTRAS]"; \
    else \
      pip install --no-cache-dir .; \
    fi

ENV SOHOA_DATA_DIR=/data OMP_THREAD_LIMIT=1
VOLUME ["/data"]
EXPOSE 8000
CMD ["sohoa", "serve", "--host", "0.0.0.0", "--port", "8000"]
