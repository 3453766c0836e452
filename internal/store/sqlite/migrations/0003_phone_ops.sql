-- Phone operations (5.3.6–5.3.14): an operation on a phone is refused while another job of the
-- phone runs (CPS.0349), which the batch call asks once per phone inside its transaction. Only
-- running jobs enter the index, so it stays as small as the queue's backlog.
CREATE INDEX jobs_phone_running ON jobs (project_id, phone_id) WHERE status = 1;
