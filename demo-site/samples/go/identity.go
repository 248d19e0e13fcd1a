// Identity token for the chat widget: Go sample, standard library only.
//
// Run it on YOUR SERVER only: the site key must never reach a browser.
//
//	go run identity.go KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//	go run identity.go --v2 --site SITE_ID [--ttl 600] KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//
// The first form prints a compat token (AES/ECB/PKCS5Padding, uppercase hex); the second a v2
// token ("v2." + base64url(nonce || AES-256-GCM ciphertext || tag)), which needs a 32-byte key.
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// EncryptECB is the compat format: AES/ECB with PKCS#7 padding and the 16, 24 or 32-byte key,
// as uppercase hex. Go has no ECB mode, so each 16-byte block is encrypted on its own.
func EncryptECB(keyB64 string, payloadJSON []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyB64))
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key) // AES-128, -192 or -256 by key length
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(payloadJSON)%aes.BlockSize // 1..16 bytes, each equal to the count
	buf := append(append([]byte{}, payloadJSON...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return strings.ToUpper(hex.EncodeToString(buf)), nil
}

// EncryptV2 is the v2 format: "v2." + base64url without padding of
// (12-byte nonce || ciphertext || 16-byte tag), AES-256-GCM with a 32-byte key.
func EncryptV2(keyB64 string, payloadJSON []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyB64))
	if err != nil {
		return "", err
	}
	if len(key) != 32 {
		return "", fmt.Errorf("v2 needs a 32-byte site key, this one has %d bytes", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize()) // 12 bytes, fresh and random for every token
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nonce, nonce, payloadJSON, nil) // nonce || ciphertext || tag
	return "v2." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// WithClaims adds "aud" (your site id) and "exp" (unix seconds) to a JSON object unless it has
// them: v2 payloads must carry both.
func WithClaims(payloadJSON []byte, site string, ttl time.Duration) ([]byte, error) {
	var claims map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(payloadJSON))
	dec.UseNumber() // keep numbers exactly as given
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, errors.New("the payload must be a JSON object")
	}
	if _, ok := claims["aud"]; !ok {
		if site == "" {
			return nil, errors.New("v2 needs --site SITE_ID")
		}
		claims["aud"] = site
	}
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(ttl).Unix()
	}
	return json.Marshal(claims)
}

func main() {
	v2 := flag.Bool("v2", false, "v2 format (AES-256-GCM, 32-byte key)")
	site := flag.String("site", "", "site id, put in the v2 payload as aud")
	ttl := flag.Int("ttl", 600, "v2 lifetime in seconds (exp)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: identity [--v2 --site SITE_ID [--ttl SECONDS]] KEY_B64 PAYLOAD_JSON")
		os.Exit(2)
	}
	keyB64, payload := flag.Arg(0), []byte(flag.Arg(1))
	var token string
	var err error
	if *v2 {
		if payload, err = WithClaims(payload, *site, time.Duration(*ttl)*time.Second); err == nil {
			token, err = EncryptV2(keyB64, payload)
		}
	} else {
		token, err = EncryptECB(keyB64, payload)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Println(token)
}
