package lang

import "github.com/agext/levenshtein"

// nameSuggestion returns the option closest to given if it is close enough
// to be a likely typo (edit distance below 3, as HCL itself uses), or "".
func nameSuggestion(given string, options []string) string {
	best, bestDist := "", 3
	for _, o := range options {
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean formats a suggestion as a sentence to append to a detail, or "".
func didYouMean(given string, options []string) string {
	if s := nameSuggestion(given, options); s != "" {
		return " Did you mean \"" + s + "\"?"
	}
	return ""
}
