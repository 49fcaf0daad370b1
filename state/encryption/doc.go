// Package encryption encrypts what berth stores at rest: the state (with
// its backups, its intent journal and the errored state an apply writes
// when it cannot store it) and saved plans. It is the mechanics only, for
// configurations decoded elsewhere (the language's encryption block,
// package lang): key providers, methods, targets and the envelope that
// holds a ciphertext.
//
// The model is OpenTofu's state encryption. A key provider supplies the
// data key: "pbkdf2" derives it from a passphrase (PBKDF2-HMAC-SHA512,
// 600,000 iterations by default, a random salt), "age" makes a random key
// and wraps it for one or more age recipients (several: break-glass
// keys). A method encrypts with it: "aes_gcm" (AES-256-GCM), or
// "unencrypted", which stores plaintext and is only there to migrate to
// or from encryption explicitly. A Target is the encryption of one kind
// of file: a primary method to write with, fallback methods that can
// still read (rotation, migration), and whether plaintext may be written
// at all (enforced).
//
// # The envelope
//
// An encrypted file is a JSON object whose first members stay readable,
// so that the state's lineage and serial can be checked (and guarded, by
// a backend such as postgres: statefile.DecodeHeader reads them) without
// the key:
//
//	{"format_version":1,"serial":7,"lineage":"8a0c…",
//	 "encryption":{"version":1,"method":"aes_gcm","method_name":"new",
//	               "key_provider":"pbkdf2","key_provider_name":"main",
//	               "key":{"salt":"…","iterations":600000,"hash":"sha512"}},
//	 "encrypted_data":"base64…"}
//
// "encryption" marks the file as encrypted and says how: which method,
// and what the key provider needs to find the key again (a salt, a
// wrapped key; never a secret). Everything else is the ciphertext of the
// whole plaintext file. The readable members, the kind of file (state,
// plan, journal) and "encryption" are the AES-GCM additional data: a
// changed serial, or a plan's ciphertext stored as a state, fails to
// decrypt rather than being taken for what it claims.
package encryption
