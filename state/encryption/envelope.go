package encryption

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// envelopeVersion is the version of the "encryption" member this build
// writes and reads.
const envelopeVersion = 1

// Header is what an encrypted file keeps readable (see the package doc),
// and the kind of file, which is authenticated but not written.
type Header struct {
	// Kind is what the file is: "state", "plan", "journal". A ciphertext
	// of one kind does not decrypt as another.
	Kind string
	// FormatVersion is the plaintext's format version; Serial and
	// Lineage are a state's (zero for other kinds).
	FormatVersion int
	Serial        uint64
	Lineage       string
}

// The kinds of file.
const (
	KindState   = "state"
	KindPlan    = "plan"
	KindJournal = "journal"
)

// envelope is an encrypted file. The header members come first, so that
// statefile.DecodeHeader reads them and stops.
type envelope struct {
	FormatVersion int       `json:"format_version,omitempty"`
	Serial        uint64    `json:"serial,omitempty"`
	Lineage       string    `json:"lineage,omitempty"`
	Encryption    *sealInfo `json:"encryption"`
	EncryptedData []byte    `json:"encrypted_data,omitempty"`
}

// sealInfo says how a file was encrypted.
type sealInfo struct {
	Version         int             `json:"version"`
	Method          string          `json:"method"`
	MethodName      string          `json:"method_name"`
	KeyProvider     string          `json:"key_provider"`
	KeyProviderName string          `json:"key_provider_name"`
	Key             json.RawMessage `json:"key"`
}

func (s *sealInfo) method() Addr      { return MethodAddr(s.Method, s.MethodName) }
func (s *sealInfo) keyProvider() Addr { return KeyProviderAddr(s.KeyProvider, s.KeyProviderName) }

// additionalData is what GCM authenticates besides the ciphertext: the
// kind of file and every member of env but the ciphertext, compact.
func additionalData(kind string, env envelope) ([]byte, error) {
	env.EncryptedData = nil
	b, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append([]byte("berth "+kind+"\n"), b...), nil
}

// headerMembers are the members a state file or a plan file may have
// before "encryption" in an envelope, or before its content otherwise.
var headerMembers = map[string]bool{"format_version": true, "berth_version": true, "serial": true, "lineage": true}

// IsEncrypted reports whether data is an encrypted file (an envelope):
// a JSON object with an "encryption" (or "encrypted_data") member
// among its first, header members. It reads no further than the header, whatever the size of a
// plaintext state.
func IsEncrypted(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return false
		}
		if key == "encryption" || key == "encrypted_data" {
			return true
		}
		if !headerMembers[key] {
			return false
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}

// decodeEnvelope parses an encrypted file.
func decodeEnvelope(data []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("the encrypted file cannot be read: %w", err)
	}
	switch {
	case env.Encryption == nil:
		return nil, fmt.Errorf("the encrypted file cannot be read: no encryption member")
	case env.Encryption.Version != envelopeVersion:
		return nil, fmt.Errorf("it is encrypted in version %d of the format, and this berth reads only version %d", env.Encryption.Version, envelopeVersion)
	}
	return &env, nil
}
