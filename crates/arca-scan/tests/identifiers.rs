//! Data-driven checks of managed identifiers: for each, a text that must be found and a
//! near miss (right shape, failing checksum or structural rule, or no keyword) that must not.

use arca_scan::{ManagedSelection, ScanSettings, Scanner};

fn found(id: &str, text: &str) -> bool {
    let scanner = Scanner::new(ScanSettings {
        managed: ManagedSelection::Include(vec![id.to_string()]),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{id}: {e}"));
    let report = scanner.scan_bytes(text.as_bytes(), "sample.txt");
    report.detections.iter().any(|d| d.r#type == id)
}

const CASES: &[(&str, &str, &str)] = &[
    // Personal: national and tax identifiers.
    ("USA_SOCIAL_SECURITY_NUMBER", "SSN: 536-22-8726", "SSN: 666-22-8726"),
    ("USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "ITIN: 912-70-1234", "ITIN: 912-40-1234"),
    ("CANADA_SOCIAL_INSURANCE_NUMBER", "SIN: 130 692 544", "SIN: 130 692 545"),
    (
        "UK_NATIONAL_INSURANCE_NUMBER",
        "National Insurance number: AB 12 34 56 C",
        "National Insurance number: BG 12 34 56 C",
    ),
    ("UK_NHS_NUMBER", "NHS number: 943 476 5919", "NHS number: 943 476 5918"),
    ("INDIA_AADHAAR_NUMBER", "Aadhaar 2341 2341 2346", "Aadhaar 2341 2341 2347"),
    ("INDIA_PERMANENT_ACCOUNT_NUMBER", "PAN: ABCPE1234F", "PAN: ABCXE1234F"),
    ("SPAIN_DNI_NUMBER", "DNI 12345678Z", "DNI 12345678A"),
    ("SPAIN_NIE_NUMBER", "NIE X1234567L", "NIE X1234567A"),
    ("SPAIN_NIF_NUMBER", "NIF A58818501", "NIF A58818502"),
    (
        "SPAIN_SOCIAL_SECURITY_NUMBER",
        "seguridad social 281234567840",
        "seguridad social 281234567841",
    ),
    (
        "FRANCE_HEALTH_INSURANCE_NUMBER",
        "carte vitale 1 85 05 78 006 084 91",
        "carte vitale 1 85 05 78 006 084 92",
    ),
    (
        "FRANCE_TAX_IDENTIFICATION_NUMBER",
        "numéro fiscal 3023217600053",
        "numéro fiscal 3023217600054",
    ),
    ("GERMANY_TAX_IDENTIFICATION_NUMBER", "Steuer-ID 86095742719", "Steuer-ID 86095742718"),
    (
        "ITALY_NATIONAL_IDENTIFICATION_NUMBER",
        "codice fiscale RSSMRA85T10A562S",
        "codice fiscale RSSMRA85T10A562T",
    ),
    ("BRAZIL_CPF_NUMBER", "CPF 529.982.247-25", "CPF 529.982.247-26"),
    ("BRAZIL_CNPJ_NUMBER", "CNPJ 11.222.333/0001-81", "CNPJ 11.222.333/0001-82"),
    ("AUSTRALIA_TAX_FILE_NUMBER", "TFN 123 456 782", "TFN 123 456 789"),
    // The Americas.
    ("ARGENTINA_DNI_NUMBER", "DNI 12.345.678", "pedido 12.345.678"),
    ("ARGENTINA_TARJETA_SUBE", "tarjeta SUBE 6061 2680 1234 5678", "tarjeta 6061 2680 1234 5678"),
    ("ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "CUIL 20-12345678-6", "CUIL 20-12345678-5"),
    (
        "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER",
        "CUIT 30-71234567-1",
        "CUIT 30-71234567-2",
    ),
    ("BRAZIL_CEP_CODE", "CEP 01310-100", "pedido 01310-100"),
    ("CANADA_NATIONAL_IDENTIFICATION_NUMBER", "UCI 00-1234-5678", "order 00-1234-5678"),
    ("CHILE_RUT_NUMBER", "RUT 12.345.678-5", "RUT 12.345.678-6"),
    ("COLOMBIA_CITIZENSHIP_CARD_NUMBER", "cédula de ciudadanía 1.020.304.050", "cédula 1.111.111"),
    ("COLOMBIA_INDIVIDUAL_NIT_NUMBER", "NIT 1020304050-8", "NIT 1020304050-9"),
    // An 8-digit body: the match must take the whole body, not stop before `-7`.
    ("COLOMBIA_INDIVIDUAL_NIT_NUMBER", "NIT 48351669-7", "NIT 48351669-8"),
    ("COLOMBIA_ORGANIZATION_NIT_NUMBER", "NIT 860.002.964-4", "NIT 860.002.964-5"),
    ("MEXICO_CURP_NUMBER", "CURP HEGG560427MVZRRL04", "CURP HEGG560427MVZRRL05"),
    ("MEXICO_INDIVIDUAL_RFC_NUMBER", "RFC GODE561231GR8", "RFC GODE561231GR9"),
    ("MEXICO_ORGANIZATION_RFC_NUMBER", "RFC SAT970701NN3", "RFC SAT970701NN4"),
    (
        "CHINA_RESIDENT_IDENTITY_CARD_NUMBER",
        "身份证号 11010519491231002X",
        "身份证号 110105194912310021",
    ),
    (
        "CHINA_UNIFIED_SOCIAL_CREDIT_CODE",
        "统一社会信用代码 91350100M000100Y43",
        "统一社会信用代码 91350100M000100Y44",
    ),
    ("CHINA_PHONE_NUMBER", "手机 13812345678", "手机 12812345678"),
    ("VEHICLE_IDENTIFICATION_NUMBER", "VIN 1HGCM82633A004352", "VIN 1HGCM82633A004353"),
    (
        "FRANCE_NATIONAL_IDENTIFICATION_NUMBER",
        "carte d'identité 880692310285",
        "carte d'identité ABCDEFGHJ",
    ),
    (
        "GERMANY_NATIONAL_IDENTIFICATION_NUMBER",
        "Personalausweis T22000129",
        "Personalausweis LMNPRTVWX",
    ),
    ("GERMANY_PASSPORT_NUMBER", "Reisepass C01X00T47", "Reisepass CFGHJKLMN"),
    ("USA_PASSPORT_NUMBER", "passport 123456789", "ticket 123456789"),
    ("UK_DRIVERS_LICENSE", "driving licence MORGA657054SM9IJ", "driving licence MORGA657054SM9I"),
    ("DRIVERS_LICENSE", "driver's license: D1234567", "order number: D1234567"),
    ("DATE_OF_BIRTH", "DOB: 1985-04-12", "DOB: 1985-13-40"),
    ("PHONE_NUMBER", "phone (202) 555-0143", "phone (102) 555-0143"),
    ("UK_PHONE_NUMBER", "tel +44 20 7946 0958", "order 020 7946 0958"),
    ("LATITUDE_LONGITUDE", "at 48.858370, 2.294481 now", "at 98.858370, 2.294481 now"),
    ("HTTP_COOKIE", "Cookie: session=abcdef0123456789", "Cookie: a=b"),
    ("NAME", "Name: Alice Johnson", "name: alice"),
    ("ADDRESS", "ship to 123 Main Street", "ship to Main Street"),
    // PHI.
    ("US_DRUG_ENFORCEMENT_AGENCY_NUMBER", "DEA number AB1234563", "DEA number AB1234567"),
    ("USA_NATIONAL_PROVIDER_IDENTIFIER", "NPI 1234567893", "NPI 1234567890"),
    ("USA_MEDICARE_BENEFICIARY_IDENTIFIER", "Medicare 1EG4-TE5-MK73", "Medicare 1SG4-TE5-MK73"),
    ("USA_HEALTH_INSURANCE_CLAIM_NUMBER", "HICN 123-45-6789A", "claim 123-45-6789A"),
    (
        "EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER",
        "EHIC 80276000000000000001",
        "ref 80276000000000000001",
    ),
    // Financial.
    ("CREDIT_CARD_NUMBER", "visa 4111 1111 1111 1111", "visa 4111 1111 1111 1112"),
    ("CREDIT_CARD_NUMBER_(NO_KEYWORD)", "ref 4111111111111111", "visa 4111111111111111"),
    ("CREDIT_CARD_EXPIRATION", "expiry 04/27", "expiry 13/27"),
    ("CREDIT_CARD_SECURITY_CODE", "CVV: 123", "code: 123"),
    (
        "CREDIT_CARD_MAGNETIC_STRIPE",
        "track 1: %B4111111111111111^DOE/JOHN^2701101000000000?",
        "track 1: %B41^DOE",
    ),
    ("CHINA_UNIONPAY_CARD_NUMBER", "银行卡 6221 2600 0000 0000", "银行卡 4111 1111 1111 1111"),
    (
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "IBAN GB82 WEST 1234 5698 7654 32",
        "IBAN GB82 WEST 1234 5698 7654 33",
    ),
    (
        "GERMANY_BANK_ACCOUNT_NUMBER",
        "Bankverbindung DE89 3704 0044 0532 0130 00",
        "Bankverbindung DE89 3704 0044 0532 0130 01",
    ),
    (
        "FRANCE_BANK_ACCOUNT_NUMBER",
        "RIB 20041 01005 0500013M026 06",
        "RIB 20041 01005 0500013M026 07",
    ),
    (
        "SPAIN_BANK_ACCOUNT_NUMBER",
        "cuenta CCC 2100 0418 45 0200051332",
        "cuenta CCC 2100 0418 46 0200051332",
    ),
    (
        "ITALY_BANK_ACCOUNT_NUMBER",
        "conto corrente IT60 X054 2811 1010 0000 0123 456",
        "conto corrente IT60 X054 2811 1010 0000 0123 457",
    ),
    ("UK_BANK_ACCOUNT_NUMBER", "sort code 12-34-56 12345678", "ref 12-34-56 12345678"),
    ("BANK_ACCOUNT_NUMBER", "account number 123456789012", "order 123456789012"),
    // Credentials.
    ("AWS_ACCESS_KEY_ID", "key AKIAI44QH8DHBZX7PQ2R", "key AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS_CREDENTIALS",
        "aws_secret_access_key = Zx8vR2mZ7pL4kT9wQb3Nc6Yd1Hf5Jg0KsLa2Pe7U",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("GCP_API_KEY", "key=AIzaSyB4sU8lU15bR_87qNb7eUVQN72_vv8mpbU", "key=AIzaSyB4sU8lU15bR"),
    ("GITHUB_TOKEN", "token ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg", "token ghp_short"),
    ("GITLAB_TOKEN", "token glpat-abcDEF1234567890ghijK", "token glpat-short"),
    ("SLACK_TOKEN", "xoxb-893582989554-899326518131-JRHeVv1o9Cf99fwDpuortR2D", "xoxb-1"),
    (
        "STRIPE_CREDENTIALS",
        "Stripe.api_key = \"sk_live_dhhfUUyfrAace5dBAZ10JrAD\"",
        "sk_live_short",
    ),
    ("PKCS", "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----"),
    (
        "OPENSSH_PRIVATE_KEY",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI",
    ),
    (
        "PGP_PRIVATE_KEY",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----",
    ),
    ("PUTTY_PRIVATE_KEY", "PuTTY-User-Key-File-2: ssh-rsa", "PuTTY-User-Key-File-X: ssh-rsa"),
    (
        "JSON_WEB_TOKEN",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxIn0.abcdefghijk",
    ),
    (
        "HTTP_BASIC_AUTH_HEADER",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization: Basic bm9jb2xvbg==",
    ),
    (
        "DATABASE_URL_WITH_PASSWORD",
        "postgres://app:S3cr3tPw@db.internal:5432/app",
        "postgres://app:${DB_PASSWORD}@db:5432/app",
    ),
    (
        "DATABASE_URL_WITH_PASSWORD",
        "mongodb://reporting:Kq7wZt2pVx@localhost/records",
        "mongodb://reporting:Kq7wZt2pVx@%2Ftmp%2Fmongodb-27017.sock",
    ),
    (
        "GENERIC_SECRET",
        "client_secret = 'Xq8vR2mZ7pL4kT9wQb3N'",
        "client_secret = 'changeme-changeme'",
    ),
    // A UUID under an npm key is a revoked classic npm token; under another key it is kept.
    (
        "GENERIC_SECRET",
        "SNYK_TOKEN=\"3f1c9a52-7be4-4d0e-9a61-c28e5b7d04f9\"",
        "export NPM_TOKEN=\"3f1c9a52-7be4-4d0e-9a61-c28e5b7d04f9\"",
    ),
    (
        "PASSWORD_HASH",
        "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$2a$12$short",
    ),
    (
        "SENDGRID_API_KEY",
        "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",
        "SG.short.key",
    ),
    (
        "CREDENTIALS_IN_COMMAND",
        r"PsExec \\10.0.0.1 -u Administrator -p Winter2024! cmd",
        r"PsExec \\10.0.0.1 -u Administrator -p $pw cmd",
    ),
    ("PRIVATE_KEY", "-----BEGIN EC PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----"),
    (
        "CREDENTIALS_IN_COMMAND",
        "curl -X POST -u client-7Qz:5uC5Y4Mcvdl5rB56rBmx https://api.example.net/token",
        "curl -u $CLIENT_ID:$CLIENT_SECRET https://api.example.net/token",
    ),
    (
        "CREDENTIALS_IN_COMMAND",
        "docker login -u deploy -p Hq3vZ8rTp2Lm registry.example.net",
        "docker login -u deploy -p \"$REGISTRY_PASSWORD\" registry.example.net",
    ),
    (
        "HTTP_BEARER_AUTH_HEADER",
        "curl -H \"Authorization: Bearer 38bb7b318cc6898c80317decb34525844bc9db55\" https://api.example.net",
        "curl -H \"Authorization: Bearer YOUR_ACCESS_TOKEN_HERE\" https://api.example.net",
    ),
    (
        "URL_WITH_PASSWORD",
        "git clone https://deploy:Zq7vR2mX9pL4@git.example.net/team/app.git",
        "git clone https://deploy:${GIT_PASSWORD}@git.example.net/team/app.git",
    ),
    (
        "BITBUCKET_APP_PASSWORD",
        "app password ATBB3g7gLXseCxPjJs1CQNMyEjwf1D12516D",
        "app password ATBB3g7gLXseCxPj",
    ),
    (
        "AZURE_APP_CONFIGURATION_CONNECTION_STRING",
        "Endpoint=https://shop-appconfig.azconfig.io;Id=Ab1c-d2-s0:Qm7rT2vZ8pL4kW9x;Secret=Qm7rT2vZ8pL4kW9xBn3Yd6Hf1Jg5Ks0LaPe2Uc7Rv4E=",
        "Endpoint=https://shop-appconfig.azconfig.io;Id=Ab1c-d2-s0:Qm7rT2vZ8pL4kW9x;Secret=<secret>",
    ),
    (
        "FACEBOOK_APP_SECRET",
        "facebook app secret: 34cebc81c056a21bc66e212f947d73ec",
        "build checksum: 34cebc81c056a21bc66e212f947d73ec",
    ),
    (
        "POSTMARK_SERVER_TOKEN",
        "postmark: \"f59dffd2-83ea-47c7-ba8f-95e053a6d0ae\"",
        "request id: \"f59dffd2-83ea-47c7-ba8f-95e053a6d0ae\"",
    ),
    (
        "SONARQUBE_TOKEN",
        "mvn sonar:sonar -Dsonar.login=5524bf449ca45fcace54698371466398321f3a82",
        "git checkout 5524bf449ca45fcace54698371466398321f3a82",
    ),
    (
        "AZURE_DEVOPS_TOKEN",
        "pat = OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLrZ3aWZkSBvrjn9WvgJQQJ99fygw2wMqZcUDIh7yfJAZDOs1ON",
        "pat = OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLrZ3aWZkSBvrjn9WvgJQQJ99fygw2wMqZcUDIh7yfJAZDO",
    ),
    (
        "AZURE_DEVOPS_LEGACY_TOKEN",
        "azure_devops_pat = \"xmecosfogyr5xkxwnrekpk5yroudocuzrenun7z5jqipq3zxoi7f\"",
        "checksum = \"xmecosfogyr5xkxwnrekpk5yroudocuzrenun7z5jqipq3zxoi7f\"",
    ),
    (
        "CONNECTION_STRING_PASSWORD",
        "Server=db01,1433;Database=Sales;User ID=report;Password=Vq8#zT2m!Lp;",
        "Server=db01,1433;Database=Sales;User ID=report;Password=myPassword;",
    ),
    (
        "NETRC_CREDENTIALS",
        "machine git.example.net login deploy password Zq7vR2mX9pL4",
        "machine git.example.net login deploy password $NETRC_PASSWORD",
    ),
    (
        "WIREGUARD_KEY",
        "[Interface]\nPrivateKey = vOxVyO5pzavdvM8/RCjJsxth3wnbeDgz0et1WU7Sy98=",
        "[Interface]\nPrivateKey = <server private key>",
    ),
    (
        "KUBERNETES_BOOTSTRAP_TOKEN",
        "kubeadm join 10.0.0.5:6443 --token dhjk1e.yy37q9ah8rvhs1k3",
        "version dhjk1e.yy37q9ah8rvhs1k3",
    ),
    (
        "JENKINS_API_TOKEN",
        "JENKINS_TOKEN=110853964b50af03b971722f244f58d669",
        "BUILD_HASH=110853964b50af03b971722f244f58d669",
    ),
    (
        "GITHUB_OAUTH_CLIENT_SECRET",
        "GITHUB_CLIENT_SECRET=6d3f0b8a21c94e7f5a0b3c2d1e9f8a7b6c5d4e3f",
        "GIT_COMMIT=6d3f0b8a21c94e7f5a0b3c2d1e9f8a7b6c5d4e3f",
    ),
    (
        "CODECLIMATE_REPORTER_ID",
        "CC_TEST_REPORTER_ID: 5e2b7c9d1a3f4e6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b",
        "SHA256: 5e2b7c9d1a3f4e6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b",
    ),
    (
        "NEW_RELIC_LICENSE_KEY",
        "license_key: cbee3772a077021721a278f64f7fd633dbddNRAL",
        "license_key: cbee3772a077021721a278f64f7fd633NRAL",
    ),
    ("CRATES_IO_API_KEY", "token = cioD3UdRPPgdzUvZ3gpmmICiBlrDp37eCZ3", "token = cioD3UdRPP"),
    (
        "DEPENDENCY_TRACK_API_KEY",
        "X-Api-Key: odt_2JgdPI1af7W2pkAFEn3z5dkyayq7YYDs",
        "X-Api-Key: odt_2JgdPI1af7W2",
    ),
    (
        "JINA_API_KEY",
        "JINA_KEY=jina_df469611a11f5125227c3712da86a78ciQPtDu7W7eaDNKgeInGqi7w4e4px",
        "JINA_KEY=jina_df469611a11f5125",
    ),
    (
        "TWITCH_STREAM_KEY",
        "STREAM_KEY=live_427849808_t7Qg84iqh4gVJjrsMnTvnRO2qGFq56",
        "STREAM_KEY=live_427849808_t7Qg84iq",
    ),
    (
        "NUGET_API_KEY",
        "nuget push app.nupkg oy2df1rcaviqk2919ahej8cx9j1ictxcwnpgw90jpkl0bl",
        "nuget push app.nupkg oy2df1rcaviqk2919",
    ),
    (
        "CREDENTIALS_IN_COMMAND",
        "vault operator unseal OjkGqDFmVEfdEffFR1mkgmat+9eJVPAHHeD4Qi2U9vtD",
        "vault operator unseal",
    ),
    (
        "PASSWORD_HASH",
        "$krb5asrep$23$13dbad3c681d06bd2aa399dac946dc59$c0996daeee6f529a279764017f2ed6cfc7403d75e173e4eaede5fe878f78e2978aa2447c462ddaed",
        "$krb5asrep$23$13dbad3c681d06bd$c0996daeee6f",
    ),
    (
        "DOCKERHUB_TOKEN",
        "docker login -u deploy -p dckr_pat_1q8yKET1VDJTpfCwseUDzT8vFh-",
        "docker login -u deploy -p dckr_pat_1q8yKET1",
    ),
];

#[test]
fn positives_and_near_misses() {
    let mut failures = Vec::new();
    for (id, positive, negative) in CASES {
        if !found(id, positive) {
            failures.push(format!("{id}: missed {positive:?}"));
        }
        if found(id, negative) {
            failures.push(format!("{id}: flagged near miss {negative:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn former_phone_id_is_an_alias() {
    let scanner = Scanner::new(ScanSettings {
        managed: ManagedSelection::Include(vec!["USA_PHONE_NUMBER".to_string()]),
        ..Default::default()
    })
    .expect("the former id is accepted");
    let report = scanner.scan_bytes(b"phone (202) 555-0143", "sample.txt");
    let types: Vec<&str> = report.detections.iter().map(|d| d.r#type.as_str()).collect();
    assert_eq!(types, ["PHONE_NUMBER"]);
}

#[test]
fn every_validated_identifier_has_a_case() {
    for spec in arca_scan::catalog::CATALOG {
        let covered = CASES.iter().any(|(id, _, _)| *id == spec.id);
        let needs_case = spec.validator.is_some() && !spec.id.ends_with("_DRIVERS_LICENSE");
        assert!(covered || !needs_case, "{} has a validator but no test case", spec.id);
    }
}
