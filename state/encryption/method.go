package encryption

// Method is an encryption method of the configuration: *AESGCM, or
// Unencrypted.
type Method interface {
	// Addr names the method as the configuration does: method.TYPE.NAME.
	Addr() Addr
}

// Unencrypted is the unencrypted method: as a target's primary method it
// writes plaintext (migrating away from encryption), as a fallback it
// reads plaintext (migrating to encryption). It is never implied: a
// target whose methods do not include it neither reads nor writes
// plaintext.
type Unencrypted struct{ Name string }

// Addr implements Method.
func (u Unencrypted) Addr() Addr { return MethodAddr("unencrypted", u.Name) }
