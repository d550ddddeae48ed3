"""Reminders, once each: plans (plans.py) → stored reminders (materialise.py) → inbox items
(dispatch.py); missed ixazomib doses (missed_doses.py).

The stored reminders include the patient's next myeloma response test (SPEP, UPEP, FLC), when their
response is tracked (a test on record): when it is due comes from shared.response_tests, so it
follows the response (a new test, a newly confirmed response: receivers.py re-plans the patient once
the recompute commits) and the clinic's test interval (its patients' plans are marked stale, the
tick re-plans them).

How a reminder is sent exactly once (style guide §9 rules 4-5):

1. `reminders_materialise` (beat) makes the next ~48 h of reminders per enrolled patient from their
   plan (shared.reminders). Rows are unique per (patient, key), inserted with ignore_conflicts, so
   running it twice, or in two workers, makes nothing twice. When the plan, the patient's zone or
   start date changed, the pending rows are re-timed in place (same key: one reminder per dose) and
   those no longer planned are cancelled.
2. `reminders_dispatch_due` (beat, then self-re-triggering while a backlog lasts) claims due
   pending rows with SELECT … FOR UPDATE SKIP LOCKED and records them as sent in the same statement
   on PostgreSQL (UPDATE … RETURNING; on SQLite a claim then a mark, the IMMEDIATE transaction
   holding the write lock), takes back those not to send, then writes the inbox items and their outside
   deliveries (notifications.notify_many, keyed per patient and dose), all in ONE transaction. A
   worker killed before the commit leaves no trace: the rows are still pending and the next run
   sends them once; after the commit, everything is recorded and nothing runs again. The outside
   channels are sent afterwards by notifications' own claimed, attempt-recorded
   `deliveries_send_due`.
3. A reminder found more than the grace period late (the system was down) is marked skipped, not
   sent: "take your 08:00 dose" at 15:00 does more harm than good. A dose reminder whose drug was
   already logged that local day is marked not_needed: reminding could make someone take it twice.
   A patient with no enrolled phone gets none (cancelled).
"""
