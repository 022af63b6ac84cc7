"""The learning loop (issue #17): clerks' confirmed corrections train a better recogniser.

scopes (which version reads a page) · versions (model versions in the database: record,
activate, roll back) · trigger (count new corrections, queue a training job, one per scope) ·
job (train, guard, activate) · reread (a newly active version reads the untouched pages again).
"""
