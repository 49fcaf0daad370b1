package main

import (
	"errors"
	"fmt"
	"strings"
)

// envCLIArgs is the environment variable whose words are inserted after
// every command's name, before the arguments on the command line, as
// Terraform's TF_CLI_ARGS; envCLIArgs+"_"+name (the command's name with
// spaces and dashes as underscores: BERTH_CLI_ARGS_plan,
// BERTH_CLI_ARGS_state_list) adds words for that command only, after the
// general ones. The command line comes last, so that its flags override
// the environment's.
const envCLIArgs = "BERTH_CLI_ARGS"

// envArgsName returns the name of the variable of command's own extra
// arguments.
func envArgsName(command string) string {
	return envCLIArgs + "_" + strings.NewReplacer(" ", "_", "-", "_").Replace(command)
}

// withEnvArgs returns args preceded by the words of BERTH_CLI_ARGS and of
// command's own variable.
func withEnvArgs(getenv func(string) string, command string, args []string) ([]string, error) {
	var all []string
	for _, name := range []string{envCLIArgs, envArgsName(command)} {
		words, err := splitWords(getenv(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, words...)
	}
	return append(all, args...), nil
}

// splitWords splits s into words as a POSIX shell does, without expanding
// anything: blanks separate words, single quotes keep everything up to the
// next one, double quotes keep everything but a backslash escaping ", \, $
// or `, and a backslash outside quotes keeps the next character. So
// BERTH_CLI_ARGS='-var "greeting=hello world"' is two words.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		// inWord is true once a word has started, even if empty ('').
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 == len(s) {
				return nil, errors.New("a backslash ends the value")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				word.WriteByte(s[i])
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("a single quote is not closed")
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				word.WriteByte(s[i])
			}
			if !closed {
				return nil, errors.New("a double quote is not closed")
			}
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
