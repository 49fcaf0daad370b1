package postgres

import (
	"crypto/sha256"
	"encoding/binary"
)

// lockKey is the key of the state's session advisory lock: one int8, the
// first 8 bytes of SHA-256("berth state lock", schema, workspace), the
// parts separated by NUL bytes (which no identifier holds), so that every
// (schema, workspace) pair has its own key: two schemas of one database
// never share a lock (Terraform's pg backend keyed its lock by a sequence
// of one schema and collided across schemas), and "a/b"+"c" is not
// "a"+"b/c". Advisory locks are per database, so two databases never
// collide either. A collision of two distinct pairs would take 2^32 pairs
// to be likely; it would make two states wait for each other, never let
// two writers in.
func lockKey(schema, workspace string) int64 {
	return hashKey("berth state lock", schema, workspace)
}

// setupKey is the key of the transaction advisory lock under which the
// schema's tables are created.
func setupKey(schema string) int64 {
	return hashKey("berth schema setup", schema)
}

func hashKey(parts ...string) int64 {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]))
}
