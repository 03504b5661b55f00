package amends

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// AckToken signs delivery id for the one-click "I have read it" link, so the link needs no
// login and cannot be forged for another delivery.
func AckToken(secret string, id int64) string {
	return strconv.FormatInt(id, 10) + "." + ackMAC(secret, id)
}

// ParseAckToken returns the delivery id a token made by AckToken signs, or ENotFound for a
// forged or malformed token (which names nothing).
func ParseAckToken(secret, token string) (int64, error) {
	idPart, mac, ok := strings.Cut(token, ".")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || id < 1 || !hmac.Equal([]byte(mac), []byte(ackMAC(secret, id))) {
		return 0, Errorf(ENotFound, "token", "this read link is not valid")
	}
	return id, nil
}

func ackMAC(secret string, id int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("amends-ack:" + strconv.FormatInt(id, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:32]
}
