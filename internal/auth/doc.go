// Package auth holds Copydesk's credentials and turns them into a
// copydesk.Principal: API keys, browser sessions, short-lived JWTs and
// password hashes. It knows no HTTP: the http package reads the credentials
// from a request (Credentials), sets the cookies, checks the CSRF token and
// holds the role × route table.
//
// Choices, and why:
//
//   - API keys look like cdk_<12 hex>_<43 base64url> (256 random bits). The
//     middle part is a public prefix that identifies the key in lists and
//     logs and finds its row; only SHA-256 of the whole key is stored and it
//     is compared in constant time. A fast hash is right here: a key has 256
//     bits of entropy, so a leaked hash cannot be brute-forced, while a slow
//     hash would cost tens of milliseconds of CPU on every API request.
//   - Passwords have little entropy, so they get a slow, memory-hard hash:
//     argon2id with the OWASP-recommended parameters (see PasswordParams).
//   - JWTs are signed with EdDSA (Ed25519), and only EdDSA is accepted
//     (jwt.WithValidMethods): verifiers need only public keys, and with the
//     method pinned and the key function returning only ed25519 public keys,
//     neither "alg: none" nor the HS256-with-the-public-key confusion attack
//     can pass. Tokens carry a kid; a KeySet signs with its current key and
//     verifies with the current and the previous ones, so keys rotate
//     without logging anyone out.
//   - Session tokens are random (256 bits) and stored hashed; each session
//     has a random synchronizer CSRF token, which Authenticate returns for
//     the http package to check on unsafe methods (the cookies and the
//     X-CSRF-Token header are the http package's).
//
// Nothing in this package puts a key, password, token or hash in an error
// message or a log line.
package auth
