package berth

import (
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers/sdk"
	"github.com/berth-sh/berth/state/encryption"
)

// decryption is the target that reads the remote state: with the
// passphrase (pbkdf2 and aes_gcm, as the other configuration's encryption
// block writes it) and the age identity given, whatever the names of the
// blocks that wrote it, and in plaintext. nil when neither is given: a
// plaintext state only, and an encrypted one refused with a message that
// says which keys it needs.
func decryption(rs RemoteState) (*encryption.Target, error) {
	var methods []encryption.Method
	if rs.Passphrase != "" {
		kp, err := encryption.NewPBKDF2(encryption.PBKDF2Config{Name: "remote_state", Passphrase: rs.Passphrase})
		if err != nil {
			return nil, sdk.AttributeError(cty.GetAttrPath("passphrase"), "Invalid passphrase", err.Error()+".")
		}
		methods = append(methods, encryption.NewAESGCM("remote_state", kp))
	}
	if rs.AgeIdentity != "" {
		ids, err := age.ParseIdentities(strings.NewReader(rs.AgeIdentity))
		if err != nil || len(ids) == 0 {
			return nil, sdk.AttributeError(cty.GetAttrPath("age_identity"), "Invalid age identity", "age_identity must hold an age secret key (AGE-SECRET-KEY-1…).")
		}
		// An age key provider needs a recipient to be made; decrypting
		// needs only the identity, whose own recipient serves.
		var recipients []string
		for _, id := range ids {
			if x, ok := id.(*age.X25519Identity); ok {
				recipients = append(recipients, x.Recipient().String())
			}
		}
		kp, err := encryption.NewAge(encryption.AgeConfig{Name: "remote_state", Recipients: recipients, Identity: rs.AgeIdentity})
		if err != nil {
			return nil, sdk.AttributeError(cty.GetAttrPath("age_identity"), "Invalid age identity", err.Error()+".")
		}
		methods = append(methods, encryption.NewAESGCM("remote_state", kp))
	}
	if len(methods) == 0 {
		return nil, nil
	}
	t, err := encryption.NewTarget(methods[0], append(methods[1:], encryption.Unencrypted{Name: "remote_state"}), false)
	if err != nil {
		return nil, fmt.Errorf("the remote state's decryption: %w", err)
	}
	return t, nil
}
