-- Paper ballots, double entry by two counters, the box count, the switch
-- from tablets to paper. Secret ballot as before: no row joins a deputy to
-- a credential, a reading or an entry, and none carries a time.

-- 'tablet' or 'paper' (tablets refused); 发出 on paper; 收回 as counted by
-- the scrutineers; who accepted a box count that does not match.
ALTER TABLE rounds ADD COLUMN mode TEXT NOT NULL DEFAULT 'tablet' CHECK (mode IN ('tablet','paper'));
ALTER TABLE rounds ADD COLUMN paper_handed_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rounds ADD COLUMN box_count INTEGER;
ALTER TABLE rounds ADD COLUMN box_override_by INTEGER REFERENCES staff(id);
ALTER TABLE rounds ADD COLUMN box_override_note TEXT;

-- Every credential printed on a ballot. The raw credential is kept while
-- the round is open (so a jammed print job can be printed again) and wiped
-- when it closes; the commitment stays, so a voided ballot is never counted.
CREATE TABLE paper_ballots (
    round_id    INTEGER NOT NULL REFERENCES rounds(id),
    commitment  TEXT NOT NULL,
    batch       INTEGER NOT NULL,
    credential  TEXT,
    state       TEXT NOT NULL CHECK (state IN ('printed','voided')),
    void_reason TEXT CHECK (void_reason IN ('spoiled','unused')),
    PRIMARY KEY (round_id, commitment)
) WITHOUT ROWID;

-- 双人录入: each counter's reading of a paper ballot, until it is in the log.
CREATE TABLE paper_readings (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    commitment TEXT NOT NULL,
    counter_id INTEGER NOT NULL REFERENCES staff(id),
    reading    TEXT NOT NULL,
    -- The counting page's id for one scan: a retry of it gets the same answer.
    request    TEXT,
    PRIMARY KEY (round_id, commitment, counter_id)
) WITHOUT ROWID;

-- The chief scrutineer's ruling on two readings that differed.
CREATE TABLE paper_rulings (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    commitment TEXT NOT NULL,
    chief_id   INTEGER NOT NULL REFERENCES staff(id),
    reading    TEXT NOT NULL,
    PRIMARY KEY (round_id, commitment)
) WITHOUT ROWID;

-- Ballots from the box not counted: duplicates, foreign, voided.
CREATE TABLE paper_set_aside (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    code     TEXT NOT NULL,
    reason   TEXT NOT NULL CHECK (reason IN ('duplicate','foreign','voided')),
    PRIMARY KEY (round_id, code)
) WITHOUT ROWID;
