import Testing
@testable import LadingPostgres

/// SPEC §9: a password never appears in a log, report, error message or `status`, and
/// `${NAME}` keeps it out of the config file.
@Suite struct PGDSNTests {
    @Test(arguments: [
        // Keyword form: plain, quoted with escapes, any spacing, any position.
        ("host=db1 password=secret dbname=dw", "host=db1 password=*** dbname=dw"),
        ("password=secret", "password=***"),
        ("host=db1 password = 'se cr\\'et' user=x", "host=db1 password = *** user=x"),
        ("password='p@ss:w&rd' host=h", "password=*** host=h"),
        ("password=p@ss:w&rd\thost=h", "password=***\thost=h"),
        ("password=\\'esc\\ aped host=h", "password=*** host=h"),
        ("PASSWORD=x host=h", "PASSWORD=*** host=h"),
        ("user=a password=secret password=again", "user=a password=*** password=***"),
        ("host=h password=", "host=h password="),
        // Malformed: hidden up to what is plainly the next parameter.
        ("user=a password=se cret dbname=d", "user=a password=*** dbname=d"),
        ("password='unterminated dbname=x", "password=***"),
        ("host='unterminated password=secret", "host='unterminated password=***"),
        // URIs: user info, raw or percent-encoded, and query parameters.
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        ("postgres://user:secret@host:5432/db?sslmode=require", "postgres://user:***@host:5432/db?sslmode=require"),
        ("postgresql://user:p@ss:w@rd@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:p%40ss%3Aw%27rd%20x@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:pa/ss?x@host/db", "postgresql://user:***@host/db"),
        ("postgresql://:secret@host", "postgresql://:***@host"),
        ("postgresql://u:pw@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
        ("postgresql://host/db?user=u&password=secret&sslmode=require", "postgresql://host/db?user=u&password=***&sslmode=require"),
        ("postgresql://host/db?password=a&b c'd&sslmode=require", "postgresql://host/db?password=***&sslmode=require"),
        ("postgresql://u:one@host/db?password=two", "postgresql://u:***@host/db?password=***"),
        ("  POSTGRESQL://u:pw@h/db", "  POSTGRESQL://u:***@h/db"),
        // Nothing to hide.
        ("postgresql://user@host:5432/db", "postgresql://user@host:5432/db"),
        ("host=/var/run/postgresql dbname=dw", "host=/var/run/postgresql dbname=dw"),
        ("", ""),
    ])
    func masksEveryPasswordShape(dsn: String, expected: String) {
        #expect(PGDSN.masked(dsn) == expected, "\(dsn)")
    }

    @Test func maskingKeepsEverythingButThePassword() {
        let dsn = "host=db1 port=5433 dbname='my db' user=loader password='x y' sslmode=require"
        #expect(PGDSN.masked(dsn) == "host=db1 port=5433 dbname='my db' user=loader password=*** sslmode=require")
    }

    @Test func expandsVariablesAndLeavesBareDollars() throws {
        let environment = ["PW": "s3cr3t", "HOST": "db1", "NESTED": "${PW}"]
        #expect(try PGDSN.expand("host=${HOST} password=${PW}", environment: environment) == "host=db1 password=s3cr3t")
        #expect(try PGDSN.expand("${HOST}${PW}", environment: environment) == "db1s3cr3t")
        #expect(try PGDSN.expand("user=$USER password=a$b$ $", environment: environment) == "user=$USER password=a$b$ $")
        #expect(try PGDSN.expand("application_name=${NESTED}", environment: environment) == "application_name=${PW}")
        #expect(try PGDSN.expand("", environment: environment) == "")
    }

    @Test func aMissingVariableIsAConfigurationErrorNamingIt() {
        #expect {
            try PGDSN.expand("host=h password=${LADING_NO_SUCH_VARIABLE}", environment: [:])
        } throws: { error in
            guard let error = error as? PGError, case .undefinedVariable(let name) = error else { return false }
            return name == "LADING_NO_SUCH_VARIABLE" && error.kind == .configuration
                && error.description.contains("LADING_NO_SUCH_VARIABLE")
        }
    }

    @Test(arguments: ["password=${PW", "password=${}", "password=${1X}", "password=${A B}"])
    func malformedPlaceholdersAreConfigurationErrors(dsn: String) {
        #expect {
            try PGDSN.expand(dsn, environment: ["PW": "x", "1X": "y", "A B": "z"])
        } throws: { error in
            guard let error = error as? PGError, case .invalidDSN = error else { return false }
            return error.kind == .configuration
        }
    }

    @Test func scrubHidesQuotedExcerptsOfThePassword() {
        let dsn = "host=x password=se cret"
        let message = #"missing "=" after "cret" in connection info string"#
        #expect(PGDSN.scrub(message, dsn: dsn) == #"missing "=" after "***" in connection info string"#)
        let uri = "postgresql://u:topsecret@[::1/db"
        let uriMessage = #"end of string reached when looking for matching "]" in IPv6 host address in URI: "\#(uri)""#
        let scrubbed = PGDSN.scrub(uriMessage, dsn: uri)
        #expect(!scrubbed.contains("topsecret"), "\(scrubbed)")
        #expect(scrubbed.contains("postgresql://u:***@[::1/db"), "\(scrubbed)")
        #expect(PGDSN.scrub("plain message", dsn: "host=h") == "plain message")
    }
}
