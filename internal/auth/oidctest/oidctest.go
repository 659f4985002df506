// Package oidctest is a fake OpenID Connect provider for tests: discovery,
// a key set, and a token endpoint that answers with the ID token the test
// asks for, signed with the provider's RSA key (or another).
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Provider is a running fake provider.
type Provider struct {
	URL string
	Key *rsa.PrivateKey

	mu sync.Mutex
	// Claims are those of the next ID token; Signer signs it (nil: Key).
	claims map[string]any
	signer *rsa.PrivateKey
	// Codes are the codes the token endpoint was given.
	Codes []string
}

// New starts a provider, closed at the test's end.
func New(t *testing.T) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Key: key}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.URL,
			"authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
			"jwks_uri": p.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "drsorch" || secret != "s3cret" || r.PostFormValue("code_verifier") == "" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		p.mu.Lock()
		p.Codes = append(p.Codes, r.PostFormValue("code"))
		claims, signer := p.claims, p.signer
		p.mu.Unlock()
		if signer == nil {
			signer = key
		}
		json.NewEncoder(w).Encode(map[string]string{"id_token": Sign(signer, "k1", claims)})
	})
	return p
}

// Next sets the claims of the next ID token and the key signing it.
func (p *Provider) Next(claims map[string]any, signer *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims, p.signer = claims, signer
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign returns a JWT of claims signed RS256 with key.
func Sign(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return in + "." + b64(sig)
}
