package elbv2emulator

// byARNOrName picks from all, in its order, those that arns name (each of
// kind, and each must be one of all) or, without arns, those that names
// name (each must be one); all of them without either. notFound is the
// error of a name or ARN that is none of all.
func byARNOrName[T any](all []T, arns, names []string, kind arnKind, notFound error, arnOf, nameOf func(T) string) ([]T, error) {
	key, want := arnOf, arns
	switch {
	case len(arns) > 0:
		for _, arn := range arns {
			if err := checkARN(arn, kind); err != nil {
				return nil, err
			}
		}
	case len(names) > 0:
		key, want = nameOf, names
	default:
		return all, nil
	}
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	var found []T
	for _, x := range all {
		if k := key(x); missing[k] {
			found = append(found, x)
			delete(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, notFound
	}
	return found, nil
}
