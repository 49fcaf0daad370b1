package encryption

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Config is the encryption of everything berth stores: the state (with
// its backups, intent journal and errored state) and saved plans. A nil
// *Config, or a nil target, encrypts nothing and reads only plaintext.
type Config struct {
	State, Plan *Target
}

// StateTarget returns the state's target (nil when c is nil).
func (c *Config) StateTarget() *Target {
	if c == nil {
		return nil
	}
	return c.State
}

// PlanTarget returns saved plans' target (nil when c is nil).
func (c *Config) PlanTarget() *Target {
	if c == nil {
		return nil
	}
	return c.Plan
}

// Target is the encryption of one kind of file: the method it is written
// with, the methods it can also be read with, and whether plaintext may
// be written. A nil *Target writes plaintext and reads only plaintext,
// refusing an encrypted file: there is no key to read it with.
type Target struct {
	primary   Method
	fallbacks []Method
	enforced  bool
}

// NewTarget returns the target that writes with primary and reads with
// primary or any of fallbacks, tried in that order. enforced refuses a
// primary method that writes plaintext.
func NewTarget(primary Method, fallbacks []Method, enforced bool) (*Target, error) {
	if primary == nil {
		return nil, errors.New("a method is needed")
	}
	if _, ok := primary.(Unencrypted); ok && enforced {
		return nil, fmt.Errorf("%s writes plaintext, and enforced = true refuses that: make an encrypting method the primary one", primary.Addr())
	}
	return &Target{primary: primary, fallbacks: fallbacks, enforced: enforced}, nil
}

// Primary returns the method the target writes with; nil for a nil
// target.
func (t *Target) Primary() Method {
	if t == nil {
		return nil
	}
	return t.primary
}

// Methods are the methods the target reads with, in the order tried: the
// primary one, then the fallbacks. None for a nil target.
func (t *Target) Methods() []Method {
	if t == nil {
		return nil
	}
	return append([]Method{t.primary}, t.fallbacks...)
}

// Seal returns plain as the target stores it: encrypted with the primary
// method, in an envelope with header h, or plain itself when the primary
// method is unencrypted (or t is nil).
func (t *Target) Seal(ctx context.Context, plain []byte, h Header) ([]byte, error) {
	switch m := t.Primary().(type) {
	case nil, Unencrypted:
		if t != nil && t.enforced {
			return nil, errors.New("refusing to write plaintext: encryption is enforced")
		}
		return plain, nil
	case *AESGCM:
		return m.seal(ctx, plain, h)
	default:
		return nil, fmt.Errorf("%s: unsupported method", m.Addr())
	}
}

// Opened is a file the target read.
type Opened struct {
	// Plain is the plaintext.
	Plain []byte
	// Header is the envelope's readable header (zero for a plaintext
	// file).
	Header Header
	// Current is set when the file is stored as the target would store
	// it now (its primary method, its key provider's parameters):
	// otherwise it is to be written again (rotation, migration).
	Current bool
	// By is the method that read it.
	By Addr
}

// Open reads data, a file of kind (KindState...): it decrypts it with the
// first of the target's methods that can, or takes it as it is when it is
// plaintext and the target reads plaintext (it has no method, or the
// unencrypted method is one of its methods). Errors say how the file is
// encrypted and what is missing to read it (*KeyError, *PlaintextError).
func (t *Target) Open(ctx context.Context, data []byte, kind string) (Opened, error) {
	if !IsEncrypted(data) {
		if t == nil {
			return Opened{Plain: data, Current: true}, nil
		}
		for _, m := range t.Methods() {
			if u, ok := m.(Unencrypted); ok {
				_, primary := t.primary.(Unencrypted)
				return Opened{Plain: data, Current: primary, By: u.Addr()}, nil
			}
		}
		return Opened{}, &PlaintextError{Primary: t.primary.Addr(), Enforced: t.enforced}
	}
	env, err := decodeEnvelope(data)
	if err != nil {
		return Opened{}, err
	}
	info := env.Encryption
	ke := &KeyError{Method: info.method(), KeyProvider: info.keyProvider()}
	// The method and key provider of the same names first; then any
	// other of the same types: a renamed block keeps its keys.
	var candidates []*AESGCM
	for _, exact := range []bool{true, false} {
		for _, m := range t.Methods() {
			a, ok := m.(*AESGCM)
			if !ok || a.addr.Type != info.Method || a.keys.Addr().Type != info.KeyProvider {
				continue
			}
			if (a.addr == info.method() && a.keys.Addr() == info.keyProvider()) == exact {
				candidates = append(candidates, a)
			}
		}
	}
	for _, a := range candidates {
		plain, current, err := a.open(ctx, env, kind)
		if err != nil {
			if ctx.Err() != nil {
				return Opened{}, ctx.Err()
			}
			ke.Tries = append(ke.Tries, fmt.Errorf("%s with %s: %w", a.addr, a.keys.Addr(), err))
			continue
		}
		h := Header{Kind: kind, FormatVersion: env.FormatVersion, Serial: env.Serial, Lineage: env.Lineage}
		return Opened{Plain: plain, Header: h, Current: current && Method(a) == t.primary, By: a.addr}, nil
	}
	ke.Configured = t != nil
	return Opened{}, ke
}

// KeyError is why an encrypted file cannot be read: no configured method
// can decrypt it.
type KeyError struct {
	// Method and KeyProvider are those the file says it was encrypted
	// with.
	Method, KeyProvider Addr
	// Configured is false when no encryption is configured at all.
	Configured bool
	// Tries are the errors of the methods that tried.
	Tries []error
}

func (e *KeyError) Error() string {
	what := fmt.Sprintf("it is encrypted (method %s \"%s\", key provider %s \"%s\")", e.Method.Type, e.Method.Name, e.KeyProvider.Type, e.KeyProvider.Name)
	switch {
	case !e.Configured:
		return what + ", and the configuration sets no encryption for it: add the encryption block that encrypted it to the berth block, or give it in BERTH_ENCRYPTION"
	case len(e.Tries) == 0:
		return what + fmt.Sprintf(", and no configured method is a %s method with a %s key provider: configure the one it was encrypted with (as a fallback, to move to another)", e.Method.Type, e.KeyProvider.Type)
	}
	var msgs []string
	for _, t := range e.Tries {
		msgs = append(msgs, t.Error())
	}
	return what + ", and no configured method can decrypt it: " + strings.Join(msgs, "; ")
}

// PlaintextError is why a plaintext file is refused: the target encrypts,
// and does not read plaintext.
type PlaintextError struct {
	Primary  Addr
	Enforced bool
}

func (e *PlaintextError) Error() string {
	msg := fmt.Sprintf("it is not encrypted, and the configuration encrypts it with %s", e.Primary)
	if e.Enforced {
		msg += " (enforced)"
	}
	return msg + `; to encrypt a plaintext file, declare method "unencrypted" "NAME" {} and add fallback { method = method.unencrypted.NAME } beside the method`
}
