package backend

import "fmt"

// StaleWriteError is what a backend's Put returns for a state the stored
// one supersedes: another lineage, or a serial not above the stored one.
// Backends that guard their writes (postgres, kubernetes) refuse such a
// state even from a writer that bypassed the lock.
type StaleWriteError struct {
	Location               string
	Lineage, StoredLineage string
	Serial, StoredSerial   uint64
}

func (e *StaleWriteError) Error() string {
	if e.Lineage != e.StoredLineage {
		return fmt.Sprintf("refusing to write the state: %s holds lineage %s, this state is lineage %s (a different history)", e.Location, e.StoredLineage, e.Lineage)
	}
	return fmt.Sprintf("refusing to write the state: %s holds serial %d, and this state's serial %d is not above it (another berth wrote it since: a stale writer, or one that bypassed the lock)", e.Location, e.StoredSerial, e.Serial)
}
