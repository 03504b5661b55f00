package amends

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Survey defaults and limits.
const (
	// SurveyDelay is how long after resolution the customers are asked, unless the survey_delay
	// setting says otherwise: a day lets the fix settle and the customer see it held, while the
	// mistake is still fresh enough to judge.
	SurveyDelay = 24 * time.Hour
	// SurveyExpiry is how long a survey link works after it was sent.
	SurveyExpiry = 30 * 24 * time.Hour
	// MaxFeedbackComment is the longest comment, in characters.
	MaxFeedbackComment = 5000
	// LowRating is the highest rating that counts as low: it notifies the incident's owner.
	LowRating = 2
	// SurveyQuestion is the one question a survey asks.
	SurveyQuestion = "How well did we handle this?"
	// SurveyTokenBytes is the size of a survey token's randomness: 128 bits.
	SurveyTokenBytes = 16
)

// PurposeSurvey is the purpose of a delivery that carries a survey link to one customer. The
// delivery's secret holds the link's token until it is sent; the survey keeps only its hash.
const PurposeSurvey = "survey"

// ActionSource says where an action item came from.
type ActionSource string

// Action item sources; "" is an item added by hand.
const (
	SourceManual     ActionSource = ""
	SourcePostmortem ActionSource = "postmortem"
	SourceFeedback   ActionSource = "feedback"
	SourceMessage    ActionSource = "message"
)

// RatingLabels words each rating for the survey form, 1 to 5.
var RatingLabels = [5]string{"Very badly", "Badly", "Neither well nor badly", "Well", "Very well"}

// RatingLabel returns the words of rating r, or "" outside 1..5.
func RatingLabel(r int) string {
	if r < 1 || r > 5 {
		return ""
	}
	return RatingLabels[r-1]
}

// Survey is one customer's survey about one incident, and their answer once given.
type Survey struct {
	ID           int64      `json:"id"`
	IncidentID   int64      `json:"-"`
	Ref          string     `json:"ref"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Account      string     `json:"account"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	AnsweredAt   *time.Time `json:"answered_at"`
	Rating       int        `json:"rating,omitempty"`
	Comment      string     `json:"comment"`
	ActionItemID *int64     `json:"action_item_id"`
}

// Answered reports whether the customer has answered.
func (s Survey) Answered() bool { return s.AnsweredAt != nil }

// Expired reports whether the survey's link no longer works at now.
func (s Survey) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// Low reports whether the answer is a low rating.
func (s Survey) Low() bool { return s.Answered() && IsLowRating(s.Rating) }

// Who names the customer for colleagues: "Name (account)", or the email address.
func (s Survey) Who() string {
	who := s.Name
	if who == "" {
		who = s.Email
	}
	if s.Account != "" {
		who += " (" + s.Account + ")"
	}
	return who
}

// IsLowRating reports whether rating r is low (1..LowRating).
func IsLowRating(r int) bool { return r >= 1 && r <= LowRating }

// Answer is a customer's answer to a survey: a rating 1..5 and an optional comment.
type Answer struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// Normalize trims the comment and makes its line breaks "\n".
func (a *Answer) Normalize() {
	a.Comment = strings.TrimSpace(strings.ReplaceAll(a.Comment, "\r\n", "\n"))
}

// Validate checks an answer: a rating from 1 to 5 and a comment of at most
// MaxFeedbackComment characters.
func (a Answer) Validate() error {
	if a.Rating < 1 || a.Rating > 5 {
		return Errorf(EInvalid, "rating", "choose a rating from 1 to 5")
	}
	return validateText("comment", a.Comment, MaxFeedbackComment)
}

// ParseRating reads a rating as a form sends it; anything but 1..5 is invalid.
func ParseRating(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, Errorf(EInvalid, "rating", "choose a rating from 1 to 5")
	}
	r, err := strconv.Atoi(v)
	if err != nil || r < 1 || r > 5 {
		return 0, Errorf(EInvalid, "rating", "choose a rating from 1 to 5, not %q", v)
	}
	return r, nil
}

// NewSurveyToken returns a survey token made of SurveyTokenBytes read from random, in
// unpadded base64url (22 characters), and its hash as stored.
func NewSurveyToken(random io.Reader) (token, hash string, err error) {
	b := make([]byte, SurveyTokenBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", "", fmt.Errorf("survey token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, SurveyTokenHash(token), nil
}

// SurveyTokenHash is the SHA-256 of a token, in hex: what the store keeps and looks up by.
func SurveyTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormedSurveyToken reports whether token could have been made by NewSurveyToken, so a
// mangled link is refused before any lookup.
func WellFormedSurveyToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(SurveyTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// ParseSurveyDelay reads the survey_delay setting: a Go duration such as 24h or 90m, "0" or
// "off" to send no surveys (returned as 0, false), or "" for the default.
func ParseSurveyDelay(v string) (time.Duration, bool, error) {
	v = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	switch v {
	case "":
		return SurveyDelay, true, nil
	case "0", "off", "none":
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, false, Errorf(EInvalid, "survey_delay", "must be a duration such as 24h or 90m, or off to send no surveys")
	}
	if d > 90*24*time.Hour {
		return 0, false, Errorf(EInvalid, "survey_delay", "is more than 90 days: ask while the mistake is still remembered")
	}
	return d, true, nil
}

// FormatSurveyDelay writes a delay the way ParseSurveyDelay reads it back; "off" when surveys
// are off.
func FormatSurveyDelay(d time.Duration, on bool) string {
	switch {
	case !on:
		return "off"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// FeedbackTitle suggests the title of an action item made from a comment: its first line,
// cut at a word to fit a title; a generic title when there is no comment.
func FeedbackTitle(comment string, rating int) string {
	line, _, _ := strings.Cut(strings.TrimSpace(comment), "\n")
	line = strings.Join(strings.Fields(line), " ")
	if line == "" {
		return fmt.Sprintf("Follow up on customer feedback (%d/5)", rating)
	}
	const max = 120
	if utf8.RuneCountInString(line) <= max {
		return line
	}
	r := []rune(line)[:max]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}

// SurveyMail is the subject and body of the mail that asks a customer for feedback. The link
// is added by the channel, as the mail's one button.
func SurveyMail(inc *Incident, name string) (subject, body string) {
	subject = "How well did we handle this? " + inc.Title
	greeting := "Hello,"
	if name = strings.TrimSpace(name); name != "" {
		greeting = "Hello " + name + ","
	}
	body = greeting + "\n\n" +
		"We recently wrote to you about a mistake we made: " + inc.Title + ".\n\n" +
		"We want to know how well we handled it, from your side. It is one question and an optional comment, " +
		"and every answer is read by the people who handled it.\n\n" +
		"The link below works once and for 30 days. No sign-in is needed.\n"
	return subject, body
}
