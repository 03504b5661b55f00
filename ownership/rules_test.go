package ownership

import (
	"strings"
	"sync"
	"testing"
)

var (
	checkerOnce sync.Once
	checker     *Checker
)

// defaultChecker is one Checker with the embedded rules, shared by the tests.
func defaultChecker(t testing.TB) *Checker {
	t.Helper()
	checkerOnce.Do(func() {
		c, err := New()
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		checker = c
	})
	if checker == nil {
		t.Fatal("New failed earlier")
	}
	return checker
}

// hasRule reports whether r has a finding of rule, and returns its text.
func hasRule(r Report, rule string) (string, bool) {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f.Text, true
		}
	}
	return "", false
}

// TestFlagRules checks each flag rule on a sentence that should trip it and on a close
// one that should not, including the hard cases the issue names.
func TestFlagRules(t *testing.T) {
	tests := []struct {
		rule, text string
		want       bool
		wantText   string // the finding's text, when want
	}{
		// responsibility: agentless passives and blame given to things
		{"passive-blame", "Mistakes were made in the April invoices.", true, "Mistakes were made"},
		{"passive-blame", "An error was introduced into our billing configuration.", true, "error was introduced"},
		{"passive-blame", "The renewal emails were sent in error on Monday.", true, "were sent in error"},
		{"passive-blame", "Your data was restored from last night's backup at 19:05.", false, ""},
		{"passive-blame", "A refund has been issued to your card.", false, ""},
		{"passive-blame", "The emails were sent in error. We made that mistake when we changed the list.", false, ""},
		{"passive-blame", "That email was sent by us to the wrong list.", false, ""},
		{"blame-thing", "A glitch in the system caused some orders to ship late.", true, ""},
		{"blame-thing", "Due to a technical issue, some payments failed.", true, ""},
		{"blame-thing", "Due to unforeseen circumstances, the webinar did not take place.", true, "unforeseen circumstances"},
		{"blame-thing", "Our billing system mistakenly applied a late fee to your account.", true, "system mistakenly applied"},
		{"blame-thing", "This was caused by human error: an employee uploaded the wrong file.", true, ""},
		{"blame-thing", "Our change broke the sign-in page, and the mistake was ours.", false, ""},
		{"blame-thing", "We deployed a change to the system that broke sign-in.", false, ""},

		// no_excuses
		{"excuse-effort", "Despite our best efforts, some deliveries were delayed.", true, "Despite our best efforts"},
		{"excuse-effort", "We are doing our best and hope you understand.", true, ""},
		{"excuse-effort", "We did our best work on the new page.", false, ""},
		{"excuse-circumstances", "This event was beyond our control.", true, "beyond our control"},
		{"excuse-circumstances", "Given the extreme weather, delays were inevitable.", true, ""},
		{"excuse-circumstances", "We were short-staffed because of the flu going round.", true, ""},
		{"excuse-circumstances", "As you know, December is our busiest season.", true, ""},
		{"excuse-circumstances", "It was the busiest night of your year, and we ruined it.", false, ""},
		{"excuse-third-party", "This was caused by our provider.", true, "caused by our provider"},
		{"excuse-third-party", "The problem was caused by a software update from one of our vendors.", true, ""},
		{"excuse-third-party", "Due to a processing error at our payment partner, you were charged twice.", true, ""},
		{"excuse-third-party", "Our email provider had an outage. But we chose them, and we never tested our fallback.", false, ""},
		{"excuse-third-party", "Our text provider sent it exactly when we told it to; the mistake was ours.", false, ""},
		{"excuse-third-party", "The bug was in a library we use, but it was our job to test the upgrade.", false, ""},

		// no_minimizing
		{"minimizing-scope", "A small number of customers were affected.", true, "A small number of"},
		{"minimizing-scope", "Some users may have experienced unexpected behaviour.", true, ""},
		{"minimizing-scope", "It only affected 2% of accounts.", true, ""},
		{"minimizing-scope", "It was just a few minutes for most homes.", true, ""},
		{"minimizing-scope", "We only learned at 14:55 why it happened.", false, ""},
		{"minimizing-scope", "Only one of those charges was right.", false, ""},
		{"minimizing-scope", "If you have questions, just reply to this email.", false, ""},
		{"minimizing-scope", "Exports now go only to addresses verified by the account owner.", false, ""},
		{"minimizing-duration", "The site was briefly unavailable.", true, "briefly"},
		{"minimizing-duration", "There was a minor issue with your invoice.", true, "minor issue"},
		{"minimizing-duration", "There has been a slight delay in processing refunds.", true, ""},
		{"minimizing-duration", "To explain briefly what happened: we upgraded the driver.", false, ""},
		{"minimizing-duration", "We applied a minor version upgrade to our database driver.", false, ""},
		{"minimizing-duration", "This was not a minor problem for you.", false, ""},

		// apology_unconditional
		{"conditional-apology", "We apologize if you were affected.", true, ""},
		{"conditional-apology", "We're sorry if anyone was inconvenienced.", true, ""},
		{"conditional-apology", "We're sorry you feel that our price change was unclear.", true, ""},
		{"conditional-apology", "We apologise for any inconvenience this may have caused.", true, "may have caused"},
		{"conditional-apology", "We are sorry, and if you have questions, reply to this email.", false, ""},
		{"conditional-apology", "If you were already signed in you could keep working.", false, ""},
		{"generic-apology", "We apologise for any inconvenience.", true, ""},
		{"generic-apology", "We regret any confusion.", true, ""},
		{"generic-apology", "We are sorry for the disruption to your morning.", false, ""},
	}
	c := defaultChecker(t)
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.text, func(t *testing.T) {
			r := c.Check(tt.text, Customer)
			text, got := hasRule(r, tt.rule)
			if got != tt.want {
				t.Errorf("finding %s: got %v, want %v (findings: %+v)", tt.rule, got, tt.want, r.Findings)
			}
			if got && tt.wantText != "" && text != tt.wantText {
				t.Errorf("finding text: got %q, want %q", text, tt.wantText)
			}
		})
	}
}

// TestEvidenceRules checks that each element that needs evidence is found in a plain
// sentence and not in a sentence that only looks like it.
func TestEvidenceRules(t *testing.T) {
	tests := []struct {
		element, text string
		want          bool
	}{
		{"acknowledgement", "We charged your card twice for March.", true},
		{"acknowledgement", "Our checkout page showed the wrong price from 6 to 9 May.", true},
		{"acknowledgement", "An issue occurred with our service.", false},
		{"acknowledgement", "Some users may have experienced unexpected behaviour.", false},
		{"acknowledgement", "We're sorry if you had trouble accessing your dashboard.", false},
		{"responsibility", "We made a mistake when we changed the template.", true},
		{"responsibility", "The mistake was ours.", true},
		{"responsibility", "That is on us, not on them.", true},
		{"responsibility", "Our change broke sign-in for every customer.", true},
		{"responsibility", "We scheduled the reminders in the wrong time zone.", true},
		{"responsibility", "We experienced an outage yesterday.", false},
		{"responsibility", "We have identified that incorrect emails were sent.", false},
		{"responsibility", "This was not our fault.", false},
		{"apology_unconditional", "I am sorry.", true},
		{"apology_unconditional", "We deeply regret sending you that letter.", true},
		{"apology_unconditional", "We regret to inform you that your order was cancelled.", false},
		{"apology_unconditional", "We apologize for any inconvenience.", false},
		{"apology_unconditional", "Sorry if this caused confusion.", false},
		{"empathy_impact", "You could not sign in for two hours.", true},
		{"empathy_impact", "Your staff were not paid on payday.", true},
		{"empathy_impact", "We value every customer.", false},
		{"plan_fix", "We refunded the second charge this morning.", true},
		{"plan_fix", "The duplicate charge has been reversed.", true},
		{"plan_fix", "The issue has been resolved.", false},
		{"plan_fix", "We are working to resolve it.", false},
		{"plan_prevent", "From 1 June every price change is checked by a second person.", true},
		{"plan_prevent", "Deploys now go to 5% of traffic first.", true},
		{"plan_prevent", "We are reviewing our processes to make sure this never happens again.", false},
		{"plan_prevent", "The outage lasted from 07:30 to 10:30.", false},
		{"contact_feedback", "Reply to this email; it comes straight to me.", true},
		{"contact_feedback", "Call us on 0161 555 0104.", true},
		{"contact_feedback", "Write to billing@example.com.", true},
		{"contact_feedback", "For more information, please visit https://status.example.com.", false},
	}
	c := defaultChecker(t)
	for _, tt := range tests {
		t.Run(tt.element+"/"+tt.text, func(t *testing.T) {
			r := c.Check(tt.text, Customer)
			got, ok := r.Elements.Get(tt.element)
			if !ok {
				t.Fatalf("no element %q in %v", tt.element, r.Elements)
			}
			if got != tt.want {
				t.Errorf("%s: got %v, want %v (findings: %+v)", tt.element, got, tt.want, r.Findings)
			}
		})
	}
}

// TestVerdict checks whole messages the way a reader would judge them.
func TestVerdict(t *testing.T) {
	tests := []struct {
		name, text string
		want       bool
	}{
		{"owning", `Yesterday at 14:30 we sent you an email saying your account was suspended. That was wrong, and the mistake was ours: we attached the wrong audience to the message. I'm sorry for the fright. We stopped the send at 14:55. Reply to this email with any question.`, true},
		{"classic non-apology", `We apologize for any inconvenience this may have caused. Some users may have experienced unexpected behavior with our service earlier today. The issue has been resolved.`, false},
		{"owning with a vendor named", `For six hours on Wednesday, password-reset emails did not arrive. Our email provider had an outage. But we chose that provider and never tested our backup, and that is on us. I'm sorry. We switched to the backup at 13:55.`, true},
		{"owning but minimizing", `We are sorry that a small number of customers were briefly unable to check out. A change we made stopped the Pay button from working.`, false},
		{"vendor excuse", `Due to an outage at our cloud provider, our service was unavailable. This was beyond our control. We apologize for any inconvenience.`, false},
	}
	c := defaultChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Check(tt.text, Customer)
			if r.Owns != tt.want {
				t.Errorf("owns: got %v, want %v\nelements: %v\nfindings: %+v", r.Owns, tt.want, r.Elements, r.Findings)
			}
		})
	}
}

// TestBlameless checks blameless mode's rules.
func TestBlameless(t *testing.T) {
	tests := []struct {
		rule, text string
		want       bool
	}{
		{"person-failed", "John forgot to run the migration before deploying.", true},
		{"person-failed", "The on-call engineer failed to check the dashboard.", true},
		{"person-failed", "The deploy job failed to run the migration.", false},
		{"person-failed", "Monitoring failed to alert because the threshold was too high.", false},
		{"person-fault", "It was Priya's mistake.", true},
		{"human-error", "The root cause was human error.", true},
		{"human-error", "The error rate rose to 4%.", false},
		{"hindsight", "The team should have known that the flag was still on.", true},
		{"hindsight", "Obviously, a simple check would have caught it.", true},
		{"hindsight", "The alert should have fired at 14:02 but its threshold was too high.", false},
		{"character-judgement", "The change was careless and sloppy.", true},
		{"character-judgement", "The change was merged without review because reviews were optional.", false},
	}
	c := defaultChecker(t)
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.text, func(t *testing.T) {
			r := c.Check(tt.text, Blameless)
			if _, got := hasRule(r, tt.rule); got != tt.want {
				t.Errorf("finding %s: got %v, want %v (findings: %+v)", tt.rule, got, tt.want, r.Findings)
			}
		})
	}

	good := `The renewal email went to the wrong audience. The template tool allowed a draft price list to be selected, and nothing in the pipeline compared prices with billing before sending. The review step was optional for template changes.`
	r := c.Check(good, Blameless)
	if !r.Owns {
		t.Errorf("blameless write-up: owns got false, want true; findings: %+v", r.Findings)
	}
	if got, want := strings.Join(elementNames(Blameless), ","), "no_individual_blame,no_human_error,no_hindsight,no_character_judgement,systems_focus"; got != want {
		t.Errorf("blameless elements: got %s, want %s", got, want)
	}
}
