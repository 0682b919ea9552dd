-- Blind issuance (tally-record-v2). A tablet's ballot is issued by signing
-- the blinded message the tablet sends; what is kept is that this deputy was
-- issued one, and SHA-256 of that blinded message, so that the same message
-- sent again (an answer lost on the Wi-Fi) is signed again and any other is
-- refused. A blinded message is uniformly random whatever the credential
-- inside it (RFC 9474 §7): it links the deputy to nothing in the log.
-- NULL for paper and for v1 rounds.
ALTER TABLE ballots_issued ADD COLUMN blinded TEXT;

-- 平板故障补发: a deputy whose tablet died after its ballot was signed is
-- handed a paper ballot instead; who did it is kept (the staff audit of the
-- hall), and the deputy's number is published in the issued roll. No order,
-- no time, nothing about a ballot.
CREATE TABLE replacements (
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    deputy_id INTEGER NOT NULL REFERENCES deputies(id),
    staff     TEXT NOT NULL,
    PRIMARY KEY (round_id, deputy_id)
) WITHOUT ROWID;

-- A second tablet checking in as a deputy who already has one in use: how
-- many times, shown to staff on the roster.
ALTER TABLE deputies ADD COLUMN extra_checkins INTEGER NOT NULL DEFAULT 0;

-- 工作人员代为签到 (or undoing it): who did it for which deputy, and how
-- often — the staff audit of the roster. No time, no order, nothing about a
-- ballot.
CREATE TABLE staff_checkins (
    deputy_id INTEGER NOT NULL REFERENCES deputies(id) ON DELETE CASCADE,
    staff     TEXT NOT NULL,
    present   INTEGER NOT NULL CHECK (present IN (0, 1)),
    times     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (deputy_id, staff, present)
) WITHOUT ROWID;
