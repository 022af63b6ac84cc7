"""The queues a worker can take jobs from (`sohoa worker --queue`)."""

from __future__ import annotations

from enum import StrEnum

from ocr_service.config import Settings


class WorkerQueue(StrEnum):
    pages = "pages"  # split books and read pages (SOHOA_QUEUE_NAME)
    train = "train"  # train recogniser versions from corrections (SOHOA_TRAIN_QUEUE_NAME)


def queue_name(settings: Settings, queue: WorkerQueue) -> str:
    """The Redis queue's name for `queue`."""
    return settings.train_queue_name if queue == WorkerQueue.train else settings.queue_name
