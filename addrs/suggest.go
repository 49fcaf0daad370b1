package addrs

import "github.com/agext/levenshtein"

// Suggest returns the candidate address closest to given, if it is close
// enough to be a typo: an edit distance of at most a quarter of the
// address (at least 2), so that a wrong name in a long address is still
// recognised but unrelated addresses are not offered. It returns "" when
// none is.
func Suggest(given string, candidates []string) string {
	best, bestDist := "", max(2, len(given)/4)+1
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
