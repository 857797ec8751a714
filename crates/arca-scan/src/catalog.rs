//! The managed data identifiers: Macie's ids, categories and keyword requirements, plus
//! the credential formats and Chinese identifiers Arca adds. Each entry is data: a pattern,
//! its keywords, whether a keyword must be near, and a validator.
//!
//! Patterns are written with `\b` and `\d`; they are compiled with ASCII semantics for both.
//! A named group `v` marks the sensitive value inside a larger match.

use crate::gate::{self as g, Gate};
use crate::validators as v;

/// Category of sensitive data, spelled as Macie's `SensitiveDataItemCategory`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    /// Private keys, access keys, tokens, passwords.
    Credentials,
    /// Card numbers, bank accounts.
    FinancialInformation,
    /// PII and PHI.
    PersonalInformation,
    /// Matches of a custom data identifier.
    CustomIdentifier,
}

/// Bytes of a candidate's line before it that a `lead_check` sees.
pub const LEAD_BYTES: usize = 64;

/// How keywords gate a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordRule {
    /// A keyword must be near the match.
    Required,
    /// Keywords are not needed.
    NotRequired,
    /// Reported only when no keyword is near (the `_(NO_KEYWORD)` variants).
    Absent,
}

/// One managed data identifier definition.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Macie's id (or Arca's, for identifiers Macie does not have).
    pub id: &'static str,
    /// Category of the data.
    pub category: Category,
    /// Regular expression for candidates.
    pub pattern: &'static str,
    /// Keywords (lower case; space, `_` and `-` variants are generated).
    pub keywords: &'static [&'static str],
    /// Whether a keyword is required.
    pub rule: KeywordRule,
    /// Check run on each candidate.
    pub validator: Option<fn(&str) -> bool>,
    /// Check run on each candidate with the text before it on its line (at most
    /// [`LEAD_BYTES`]), for rules that depend on what the value is assigned to.
    pub lead_check: Option<fn(lead: &str, value: &str) -> bool>,
    /// In Macie's RECOMMENDED set for jobs.
    pub recommended: bool,
    /// Case-insensitive pattern.
    pub case_insensitive: bool,
    /// For an identifier that needs no keyword: where it can match, when its pattern has no
    /// literal of its own to search for (see [`crate::gate`]).
    pub gate: Option<Gate>,
}

const fn spec(id: &'static str, category: Category, pattern: &'static str) -> Spec {
    Spec {
        id,
        category,
        pattern,
        keywords: &[],
        rule: KeywordRule::NotRequired,
        validator: None,
        lead_check: None,
        recommended: true,
        case_insensitive: false,
        gate: None,
    }
}

impl Spec {
    const fn kw(mut self, keywords: &'static [&'static str]) -> Self {
        self.keywords = keywords;
        self.rule = KeywordRule::Required;
        self
    }
    const fn absent(mut self, keywords: &'static [&'static str]) -> Self {
        self.keywords = keywords;
        self.rule = KeywordRule::Absent;
        self
    }
    const fn check(mut self, validator: fn(&str) -> bool) -> Self {
        self.validator = Some(validator);
        self
    }
    const fn check_lead(mut self, lead_check: fn(&str, &str) -> bool) -> Self {
        self.lead_check = Some(lead_check);
        self
    }
    const fn anchors(mut self, words: &'static [&'static str], before: usize, word: bool) -> Self {
        self.gate = Some(Gate::Anchors { words, before, word });
        self
    }
    const fn digit_run(mut self, shape: g::RunShape) -> Self {
        self.gate = Some(Gate::DigitRun(shape));
        self
    }
    const fn not_recommended(mut self) -> Self {
        self.recommended = false;
        self
    }
}

use Category::{Credentials as C, FinancialInformation as F, PersonalInformation as P};

const CARD: &[&str] = &[
    "credit card",
    "card number",
    "card no",
    "card#",
    "card num",
    "cc#",
    "ccn",
    "visa",
    "mastercard",
    "master card",
    "amex",
    "american express",
    "discover",
    "diners club",
    "jcb",
    "unionpay",
    "carte bancaire",
    "kreditkarte",
    "carta di credito",
    "tarjeta de credito",
    "cartão de crédito",
    "debit card",
    "payment card",
    "pan",
    "银行卡",
    "信用卡",
];
const CVV: &[&str] = &[
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cid",
    "security code",
    "card verification",
    "verification code",
    "csc",
    "cvn",
    "kartenprüfnummer",
    "cryptogramme",
    "codice di sicurezza",
    "código de seguridad",
];
const EXPIRY: &[&str] = &[
    "exp date",
    "expiration",
    "expiry",
    "expires",
    "exp",
    "valid thru",
    "valid through",
    "mm/yy",
    "ablaufdatum",
    "date d'expiration",
    "scadenza",
    "caducidad",
];
const STRIPE_DATA: &[&str] = &["track data", "magnetic stripe", "track 1", "track 2", "swipe"];
const BANK: &[&str] = &[
    "bank account",
    "account number",
    "acct number",
    "acct no",
    "account no",
    "checking account",
    "savings account",
    "routing",
    "bank acct",
    "debit account",
    "beneficiary account",
    "compte bancaire",
    "kontonummer",
    "conto corrente",
    "numero de cuenta",
    "sort code",
    "rib",
    "bban",
    "iban",
    "bankverbindung",
    "ccc",
];
const IBAN_KW: &[&str] = &["iban", "international bank account"];
const SSN: &[&str] =
    &["ssn", "social security", "ssa number", "social security number", "soc sec", "ss#", "ssn#"];
const ITIN: &[&str] = &["itin", "individual taxpayer", "taxpayer identification", "tax id", "tin"];
const PASSPORT: &[&str] = &[
    "passport",
    "passport number",
    "passport no",
    "passport#",
    "passeport",
    "reisepass",
    "passaporto",
    "pasaporte",
    "travel document",
    "numéro de passeport",
    "passnummer",
    "护照",
];
const DL: &[&str] = &[
    "driver license",
    "driver licence",
    "driver's license",
    "driver's licence",
    "drivers license",
    "drivers licence",
    "driving license",
    "driving licence",
    "dl#",
    "dl number",
    "license number",
    "licence number",
    "lic#",
    "dlno",
    "führerschein",
    "fuhrerschein",
    "permis de conduire",
    "patente di guida",
    "carnet de conducir",
    "permiso de conducir",
    "rijbewijs",
    "prawo jazdy",
    "körkort",
    "ajokortti",
    "kørekort",
    "řidičský průkaz",
    "vodičský preukaz",
    "vozniško dovoljenje",
    "vozačka dozvola",
    "carta de condução",
    "permis de conducere",
    "vadītāja apliecība",
    "vairuotojo pažymėjimas",
    "juhiluba",
    "jogosítvány",
    "свидетелство за управление",
    "άδεια οδήγησης",
    "licenza tas-sewqan",
    "ceadúnas tiomána",
    "permis de conduite",
];
const NATIONAL_ID: &[&str] = &[
    "national id",
    "national identification",
    "identity card",
    "id card",
    "id number",
    "identity number",
    "carte nationale d'identité",
    "carte d'identité",
    "cni",
    "personalausweis",
    "ausweisnummer",
    "carta d'identità",
    "codice fiscale",
    "cf",
    "dni",
    "documento nacional de identidad",
    "rg",
    "registro geral",
    "cédula de identidade",
];
const TAX: &[&str] = &[
    "tax id",
    "tax identification",
    "tax number",
    "taxpayer",
    "tin",
    "tfn",
    "tax file number",
    "steuer-id",
    "steueridentifikationsnummer",
    "steuernummer",
    "idnr",
    "numéro fiscal",
    "numéro d'identification fiscale",
    "nif",
    "nie",
    "cif",
    "cpf",
    "cnpj",
    "pan",
    "permanent account number",
    "utr",
    "unique taxpayer reference",
    "spi",
    "número de identificación fiscal",
    "cadastro de pessoas físicas",
];
const PHONE: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "fax",
    "phone number",
    "contact number",
    "téléphone",
    "telefon",
    "telefono",
    "teléfono",
    "handy",
    "cellulare",
    "móvil",
    "celular",
    "portable",
    "手机",
    "电话",
];
const DOB: &[&str] = &[
    "date of birth",
    "birth date",
    "birthdate",
    "dob",
    "birthday",
    "born",
    "date de naissance",
    "geburtsdatum",
    "data di nascita",
    "fecha de nacimiento",
    "data de nascimento",
    "b-day",
    "出生日期",
];
const HEALTH: &[&str] = &[
    "health card",
    "health number",
    "health insurance",
    "phn",
    "msp number",
    "ehic",
    "ceam",
    "carte vitale",
    "gesundheitskarte",
    "krankenversicherung",
    "tessera sanitaria",
    "tarjeta sanitaria",
    "nhs",
    "nhs number",
    "medicare",
    "mbi",
    "beneficiary",
    "numéro de sécurité sociale",
    "sécurité sociale",
    "insurance number",
    "healthcare number",
    "kela",
];
const AR_DNI: &[&str] = &[
    "dni",
    "documento nacional de identidad",
    "documento número",
    "documento numero",
    "número de documento",
    "numero de documento",
    "nro de documento",
    "registro nacional de las personas",
    "renaper",
    "argentina national identity number",
];
const AR_SUBE: &[&str] = &["sube", "tarjeta sube", "sistema único de boleto electrónico"];
const AR_CUIT: &[&str] = &[
    "cuit",
    "cuil",
    "clave única de identificación tributaria",
    "clave unica de identificacion tributaria",
    "código único de identificación laboral",
    "codigo unico de identificacion laboral",
    "afip",
    "tax id",
    "tax identification number",
];
const BR_CEP: &[&str] = &[
    "cep",
    "código de endereçamento postal",
    "codigo de enderecamento postal",
    "código postal",
    "codigo postal",
    "postal code",
    "zip code",
];
const CL_RUT: &[&str] = &[
    "rut",
    "run",
    "rol único tributario",
    "rol unico tributario",
    "rol único nacional",
    "rol unico nacional",
    "cédula de identidad",
    "cedula de identidad",
];
const CO_CEDULA: &[&str] = &[
    "cédula de ciudadanía",
    "cedula de ciudadania",
    "cédula",
    "cedula",
    "c.c.",
    "número de cédula",
    "numero de cedula",
    "documento de identidad",
    "citizenship card",
];
const CO_NIT: &[&str] = &[
    "nit",
    "número de identificación tributaria",
    "numero de identificacion tributaria",
    "registro único tributario",
    "registro unico tributario",
    "dian",
    "tax id",
    "tax identification number",
];
const MX_CURP: &[&str] = &[
    "curp",
    "clave única de registro de población",
    "clave unica de registro de poblacion",
    "personal identification code",
];
const MX_RFC: &[&str] = &[
    "rfc",
    "registro federal de contribuyentes",
    "registro federal del contribuyente",
    "sat",
    "tax id",
    "tax identification number",
];
const CA_UCI: &[&str] = &[
    "permanent resident",
    "permanent residence",
    "pr card",
    "uci",
    "unique client identifier",
    "client identifier",
    "ircc",
    "résident permanent",
    "resident permanent",
    "carte de résident permanent",
    "identificateur unique de client",
    "national identification number",
];
const DEA_KW: &[&str] = &["dea number", "dea registration", "dea#", "dea no"];
const HICN: &[&str] =
    &["health insurance claim number", "hic no", "hic number", "hic#", "hicn", "hicno#"];
const HCPCS: &[&str] = &["hcpcs", "procedure code", "healthcare common procedure", "cpt"];
const NDC: &[&str] = &["national drug code", "ndc", "drug code"];
const NPI_KW: &[&str] = &["npi", "national provider", "provider id", "provider number"];
const NINO: &[&str] = &["national insurance", "nino", "ni number", "insurance number", "nin"];
const SIN: &[&str] =
    &["sin", "social insurance", "numéro d'assurance sociale", "nas", "insurance number"];
const NSS: &[&str] = &["seguridad social", "nss", "social security", "número de afiliación", "naf"];
const AADHAAR: &[&str] = &["aadhaar", "aadhar", "uidai", "uid", "आधार"];
const VIN_KW: &[&str] = &[
    "vin",
    "vehicle identification",
    "chassis number",
    "fahrgestellnummer",
    "numéro de série",
    "telaio",
    "bastidor",
];
const ELECTORAL: &[&str] = &[
    "electoral roll",
    "electoral number",
    "polling number",
    "elector number",
    "register of electors",
];
const AWS_SECRET_KW: &[&str] = &[
    "aws_secret_access_key",
    "aws secret access key",
    "secret access key",
    "secretaccesskey",
    "aws_secret",
    "aws secret",
    "secret_key",
    "aws_secret_key",
    "secret key",
];
const COOKIE_KW: &[&str] = &["cookie", "set-cookie", "session"];
const CHINA_ID: &[&str] =
    &["身份证", "居民身份证", "身份证号", "id card", "resident identity", "identity card", "sfz"];
const CHINA_USCC: &[&str] =
    &["统一社会信用代码", "信用代码", "unified social credit", "uscc", "credit code", "营业执照"];
const SECRET_WORDS: &[&str] = &[];
const AZURE_DEVOPS_KW: &[&str] = &[
    "azure devops",
    "ado pat",
    "ado token",
    "azure devops pat",
    "azure devops token",
    "azdo pat",
    "azdo token",
    "devops pat",
    "system.accesstoken",
];
const K8S_BOOTSTRAP_KW: &[&str] = &["bootstrap token", "kubeadm", "token"];
const JENKINS_KW: &[&str] = &["jenkins", "jenkins token", "jenkins api token"];
const GITHUB_SECRET_KW: &[&str] =
    &["github secret", "github client secret", "github oauth secret", "gh client secret"];
const CODECLIMATE_KW: &[&str] = &["cc test reporter id", "codeclimate reporter id"];
const FACEBOOK_KW: &[&str] = &["facebook", "fb_secret", "fb_app_secret", "fb_client_secret"];
const POSTMARK_KW: &[&str] = &["postmark", "postmark_api_token", "x-postmark-server-token"];
// `-Dsonar.login=` is how Maven and the scanner CLI take a token; keywords are whole words.
const SONAR_KW: &[&str] = &[
    "sonar.login",
    "dsonar.login",
    "dsonar.token",
    "sonarlogin",
    "sonar.token",
    "sonartoken",
    "sonar_login",
    "sonar_token",
    "sonarqube token",
    "sonarcloud token",
];

/// A US-style bank account: 8-17 digits next to a keyword.
const ACCOUNT: &str = r"\b\d{7,17}\b";

/// Every managed data identifier Arca knows, in a stable order.
pub static CATALOG: &[Spec] = &[
    // --- Credentials (Macie) ---------------------------------------------------------
    spec("AWS_CREDENTIALS", C, r"(?:^|[^A-Za-z0-9/+=])(?P<v>[A-Za-z0-9/+=]{40})(?:$|[^A-Za-z0-9/+=])").kw(AWS_SECRET_KW).check(aws_secret_shape),
    spec("GCP_API_KEY", C, r"\bAIza[0-9A-Za-z_\-]{35}"),
    spec("HTTP_BASIC_AUTH_HEADER", C, r"(?i:authorization)\s*:\s*(?i:basic)\s+[A-Za-z0-9+/]{4,}={0,2}").check(v::basic_auth).anchors(&["authorization"], 0, false),
    spec("JSON_WEB_TOKEN", C, r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}").check(v::jwt),
    spec("OPENSSH_PRIVATE_KEY", C, r"-----BEGIN OPENSSH PRIVATE KEY-----"),
    spec("PGP_PRIVATE_KEY", C, r"-----BEGIN PGP PRIVATE KEY BLOCK-----"),
    spec("PKCS", C, r"-----BEGIN (?:RSA |DSA |EC |ENCRYPTED |)PRIVATE KEY-----"),
    spec("PUTTY_PRIVATE_KEY", C, r"PuTTY-User-Key-File-[23]: "),
    spec("STRIPE_CREDENTIALS", C, r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,99}\b"),
    // --- Credentials (Arca additions) ---------------------------------------------
    spec("AWS_ACCESS_KEY_ID", C, r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b").check(aws_key_id),
    spec("GITHUB_TOKEN", C, r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b"),
    spec("GITLAB_TOKEN", C, r"\b(?:glpat|gldt|glptt|glrt|glcbt|glsoat|glft|glimt|glagent|gloas)-[0-9A-Za-z_\-]{20,}|\bGR1348941[0-9A-Za-z_\-]{20,}"),
    spec("SLACK_TOKEN", C, r"\bxox[abposre]-[0-9]{6,}-[0-9A-Za-z\-]{8,}|\bxapp-[0-9]-?[0-9A-Za-z/\-]{10,}"),
    spec("SLACK_WEBHOOK_URL", C, r"https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]{16,}"),
    spec("PRIVATE_KEY", C, r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\bLS0tLS1CRUdJTi[A-Za-z0-9+/]{4,}(?:UFJJVkFURSBLRVkt|BSSVZBVEUgS0VZL|QUklWQVRFIEtFWS0)|\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    // The host must be a network host: a URL whose host is a percent-encoded socket path
    // (`@%2Ftmp%2Fmongodb-27017.sock`) reaches only a local server (Kingfisher skips it too).
    spec("DATABASE_URL_WITH_PASSWORD", C, r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]+|oracle|ldaps?|ftp|sftp|smtp)://[^\s:/@'\x22]{1,64}:(?P<v>[^\s@/'\x22]{3,128})@[^\s/'\x22%][^\s/'\x22]*").check(real_password),
    spec("GOOGLE_OAUTH_CLIENT_SECRET", C, r"\bGOCSPX-[0-9A-Za-z_\-]{28}\b"),
    spec("GOOGLE_OAUTH_ACCESS_TOKEN", C, r"\bya29\.[0-9A-Za-z_\-]{20,}"),
    spec("OPENAI_API_KEY", C, r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}|\bsk-proj-[A-Za-z0-9_\-]{40,}"),
    spec("ANTHROPIC_API_KEY", C, r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,}"),
    spec("SENDGRID_API_KEY", C, r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b"),
    spec("TWILIO_CREDENTIALS", C, r"\b(?:SK|AC)[0-9a-f]{32}\b"),
    spec("NPM_TOKEN", C, r"\bnpm_[A-Za-z0-9]{36}\b"),
    spec("PYPI_TOKEN", C, r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    spec("SHOPIFY_TOKEN", C, r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    spec("DIGITALOCEAN_TOKEN", C, r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    spec("HUGGINGFACE_TOKEN", C, r"\bhf_[A-Za-z]{34}\b"),
    spec("ATLASSIAN_API_TOKEN", C, r"\bATATT3[A-Za-z0-9_\-=]{100,}"),
    spec("ARTIFACTORY_API_KEY", C, r"\bAKCp[A-Za-z0-9]{69}\b"),
    spec("ADAFRUIT_IO_KEY", C, r"\baio_[A-Za-z0-9]{28}\b"),
    spec("POSTMAN_API_KEY", C, r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
    spec("SQUARE_TOKEN", C, r"\bsq0(?:atp|csp)-[0-9A-Za-z_\-]{22,43}|\bEAAA[A-Za-z0-9_\-]{60}\b"),
    spec("MAILGUN_API_KEY", C, r"\bkey-[0-9a-f]{32}\b"),
    spec("MAILCHIMP_API_KEY", C, r"\b[0-9a-f]{32}-us[0-9]{1,2}\b").anchors(&["-us"], 32, false),
    spec("TELEGRAM_BOT_TOKEN", C, r"\b[0-9]{8,10}:AA[0-9A-Za-z_\-]{32,33}\b").anchors(&[":aa"], 10, false),
    spec("DOCKERHUB_TOKEN", C, r"\bdckr_pat_[A-Za-z0-9_\-]{27}"),
    spec("DOPPLER_TOKEN", C, r"\bdp\.(?:ct|pt|st(?:\.[a-z0-9_\-]{2,35})?|sa|scim|audit)\.[A-Za-z0-9]{40,44}\b"),
    spec("NEW_RELIC_KEY", C, r"\bNR(?:AK|AA|II|IQ|RA|SP)-[A-Za-z0-9_\-]{27,32}\b|\bpx-(?:dep|api)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
    spec("HASHICORP_VAULT_TOKEN", C, r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}"),
    spec("GRAFANA_TOKEN", C, r"\bgl(?:c|sa)_[A-Za-z0-9_\-=+/]{32,}|\beyJrIjoi[A-Za-z0-9]{30,}={0,2}"),
    spec("DATABRICKS_TOKEN", C, r"\bdapi[a-f0-9]{32}(?:-[0-9])?\b"),
    spec("RUBYGEMS_API_KEY", C, r"\brubygems_[a-f0-9]{48}\b"),
    spec("AZURE_STORAGE_KEY", C, r"(?i:AccountKey)=(?P<v>[A-Za-z0-9+/]{86}==)").anchors(&["accountkey="], 0, false),
    // Azure DevOps personal access tokens: 84 characters, `JQQJ9` at 52 and `AZDO` at 76;
    // the older 52-character base32 ones only next to a keyword.
    spec("AZURE_DEVOPS_TOKEN", C, r"\b[A-Za-z0-9]{52}JQQJ9[0-9][A-Za-z0-9]{18}AZDO[A-Za-z0-9]{4}\b").anchors(&["jqqj9"], 52, false),
    spec("AZURE_DEVOPS_LEGACY_TOKEN", C, r"\b[a-z2-7]{52}\b").kw(AZURE_DEVOPS_KW).check(v::random_base32),
    spec("SALESFORCE_ACCESS_TOKEN", C, r"\b00[A-Za-z0-9]{13}![A-Za-z0-9_.]{96}\b").anchors(&["!"], 15, false),
    spec("SOURCEGRAPH_TOKEN", C, r"\bsgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40}\b"),
    spec("SEGMENT_TOKEN", C, r"\bsgp_[A-Za-z0-9]{64}\b"),
    spec("TAVILY_API_KEY", C, r"\btvly-[A-Za-z0-9]{32}\b"),
    spec("GROQ_API_KEY", C, r"\bgsk_[A-Za-z0-9]{52}\b"),
    spec("MS_TEAMS_WEBHOOK", C, r"https://[a-z0-9.\-]+\.(?:webhook\.office|outlook\.office)\.com/webhook(?:b2)?/[0-9a-f\-]{36}@[0-9a-f\-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f\-]{36}"),
    spec("PASSWORD_HASH", C, r"\$(?:1|2[abxy]?|5|6|8)\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,22}\$[./A-Za-z0-9]{22,86}|\$krb5asrep\$23\$(?:[^:\s$]{1,256}:)?[0-9a-f]{32}\$[0-9a-f]{64,}"),
    // Passwords given on a command line: PsExec, PowerCLI, `curl -u user:password` and
    // `docker login -p`.
    spec("CREDENTIALS_IN_COMMAND", C, r"(?i:psexec)[^\n]{0,256}?\s-u\s{1,8}\S{1,128}\s{1,8}-p\s{1,8}(?P<v>\S{1,128})|(?i:connect-viserver)[^\n]{0,256}?-Password\s{1,8}['\x22]?(?P<v1>[^\s'\x22]{1,128})|(?i:curl)\s[^\n]{0,256}?\s(?:-u|--user)[ =]['\x22]?[^\s:'\x22]{1,128}:(?P<v2>[^\s'\x22]{3,128})|(?i:docker)\s{1,8}login\s[^\n]{0,256}?\s(?:-p|--password)[ =]['\x22]?(?P<v3>[^\s'\x22]{3,128})|(?i:vault)\s{1,8}operator\s{1,8}unseal\s{1,8}(?:-\S{1,64}\s{1,8}){0,4}(?P<v4>[A-Za-z0-9+/]{40,64}={0,2})").check(real_password).anchors(&["psexec", "connect-viserver", "curl", "docker", "vault"], 0, false),
    spec("HTTP_BEARER_AUTH_HEADER", C, r"(?i:authorization)\s{0,8}:\s{0,8}(?i:bearer)\s{1,8}(?P<v>[A-Za-z0-9_\-.~+/]{16,2048}={0,2})").check(v::bearer_token).anchors(&["authorization"], 0, false),
    // Credentials in the user-information part of a web, git or SSH URL (database URLs
    // have their own identifier).
    spec("URL_WITH_PASSWORD", C, r"\b(?:https?|git|ssh|svn|ftps|smb)://[^\s:/@'\x22]{1,64}:(?P<v>[^\s@/'\x22]{3,128})@[^\s/'\x22%:][^\s/'\x22]{0,252}").check(v::url_password),
    // Server, Data Source, Provider or Driver first, then a password: an ADO.NET, ODBC or
    // OLE DB connection string.
    spec("CONNECTION_STRING_PASSWORD", C, r"(?i:server|data source|provider|driver)\s{0,4}=[^\n]{0,256}?[;\x22'&]\s{0,4}(?i:password|pwd)\s{0,4}=\s{0,4}(?P<v>[^;'\x22\s][^;'\x22\n]{2,127})").check(connection_password).anchors(&["password", "pwd"], 280, false),
    spec("NETRC_CREDENTIALS", C, r"\bmachine\s{1,8}\S{1,128}\s{1,16}login\s{1,8}\S{1,128}\s{1,16}password\s{1,8}(?P<v>\S{3,128})").check(real_password).anchors(&["machine"], 0, true),
    spec("WIREGUARD_KEY", C, r"(?i:PrivateKey|PresharedKey)\s{0,8}=\s{0,8}(?P<v>[A-Za-z0-9+/]{43}=)").anchors(&["privatekey", "presharedkey"], 0, false),
    spec("KUBERNETES_BOOTSTRAP_TOKEN", C, r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b").kw(K8S_BOOTSTRAP_KW).check(v::random_base32),
    spec("JENKINS_API_TOKEN", C, r"\b11[0-9a-f]{32}\b").kw(JENKINS_KW).check(v::random_hex),
    spec("GITHUB_OAUTH_CLIENT_SECRET", C, r"\b[0-9a-f]{40}\b").kw(GITHUB_SECRET_KW).check(v::random_hex),
    spec("CODECLIMATE_REPORTER_ID", C, r"\b[0-9a-f]{64}\b").kw(CODECLIMATE_KW).check(v::random_hex),
    spec("NEW_RELIC_LICENSE_KEY", C, r"\b[0-9a-f]{36}NRAL\b"),
    spec("CRATES_IO_API_KEY", C, r"\bcio[A-Za-z0-9]{32}\b"),
    spec("DEPENDENCY_TRACK_API_KEY", C, r"\bodt_[A-Za-z0-9]{32}\b"),
    spec("JINA_API_KEY", C, r"\bjina_[a-f0-9]{32}[A-Za-z0-9]{28}\b"),
    spec("TWITCH_STREAM_KEY", C, r"\blive_[0-9]{6,12}_[A-Za-z0-9]{30}\b"),
    spec("NUGET_API_KEY", C, r"\boy2[a-z0-9]{43}\b"),
    spec("BITBUCKET_APP_PASSWORD", C, r"\bATBB[A-Za-z0-9_=.\-]{32}\b"),
    spec("AZURE_APP_CONFIGURATION_CONNECTION_STRING", C, r"(?:Endpoint=)?https://[A-Za-z0-9\-]{1,63}\.azconfig\.io;Id=[^;\s]{1,64};Secret=(?P<v>[A-Za-z0-9+/]{40,88}={0,2})").anchors(&[".azconfig.io;id="], 80, false),
    spec("FACEBOOK_APP_SECRET", C, r"\b[0-9a-f]{32}\b").kw(FACEBOOK_KW).check(v::random_hex),
    spec("POSTMARK_SERVER_TOKEN", C, r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b").kw(POSTMARK_KW).check(v::random_hex),
    spec("SONARQUBE_TOKEN", C, r"\bsq[apu]_[0-9a-f]{40}\b|\b[0-9a-f]{40}\b").kw(SONAR_KW).check(v::random_hex),
    spec("GENERIC_SECRET", C, r#"(?i)(?:secret|token|passw(?:or)?d|passwd|pwd|api[_\-. ]?key|apikey|access[_\-.]?key|auth[_\-.]?key|client[_\-.]?secret|private[_\-.]?key|unseal key \d)[A-Za-z0-9_\-.]{0,20}['"]?\s*(?:[:=]|=>|:=|\s)\s*[@'"`]?(?P<v>[A-Za-z0-9_\-+/=.!$%*#@^&~]{8,128})"#).check(v::generic_secret).check_lead(not_retired_vendor_format).anchors(&["secret", "token", "passw", "pwd", "key"], 16, false),
    // --- Financial -------------------------------------------------------------------
    spec("BANK_ACCOUNT_NUMBER", F, ACCOUNT).kw(BANK),
    spec("FRANCE_BANK_ACCOUNT_NUMBER", F, r"\b(?:FR\d{2}[ ]?)?\d{5}[ ]?\d{5}[ ]?[0-9A-Z]{11}[ ]?\d{2}\b|\bFR\d{2}(?:[ ]?[0-9A-Z]{4}){5}[ ]?[0-9A-Z]{3}\b").kw(BANK).check(fr_bank),
    spec("GERMANY_BANK_ACCOUNT_NUMBER", F, r"\bDE\d{2}(?:[ ]?\d{4}){4}[ ]?\d{2}\b").kw(BANK).check(de_bank),
    spec("ITALY_BANK_ACCOUNT_NUMBER", F, r"\bIT\d{2}[ ]?[A-Z](?:[ ]?[0-9A-Z]){22}\b").kw(BANK).check(it_bank),
    spec("SPAIN_BANK_ACCOUNT_NUMBER", F, r"\b(?:ES\d{2}[ ]?)?\d{4}[ -]?\d{4}[ -]?\d{2}[ -]?\d{10}\b|\bES\d{2}(?:[ ]?\d{4}){5}\b").kw(BANK).check(es_bank),
    spec("UK_BANK_ACCOUNT_NUMBER", F, r"\bGB\d{2}[ ]?[A-Z]{4}(?:[ ]?\d{4}){3}[ ]?\d{2}\b|\b\d{2}-\d{2}-\d{2}[ ]+\d{8}\b").kw(BANK).check(gb_bank),
    spec("INTERNATIONAL_BANK_ACCOUNT_NUMBER", F, r"\b[A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]{4}){2,7}(?:[ ]?[0-9A-Z]{1,3})?\b").check(v::iban).digit_run(g::IBAN),
    spec("CREDIT_CARD_NUMBER", F, r"\b(?:\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?:[ -]?\d{1,3})?|\d{4}[ -]?\d{6}[ -]?\d{5}|\d{12,19})\b").kw(CARD).check(v::credit_card),
    spec("CREDIT_CARD_NUMBER_(NO_KEYWORD)", F, r"\b(?:\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?:[ -]?\d{1,3})?|\d{4}[ -]?\d{6}[ -]?\d{5}|\d{12,19})\b").absent(CARD).check(v::credit_card).digit_run(g::CARD).not_recommended(),
    spec("CREDIT_CARD_MAGNETIC_STRIPE", F, r"%B\d{13,19}\^[A-Za-z /.\-]{2,26}\^\d{7,}|;\d{13,19}=\d{7,}\?").kw(STRIPE_DATA),
    spec("CREDIT_CARD_SECURITY_CODE", F, r"\b\d{3,4}\b").kw(CVV),
    spec("CREDIT_CARD_EXPIRATION", F, r"\b(?:0[1-9]|1[0-2])\s?[/\-]\s?(?:20)?\d{2}\b").kw(EXPIRY).check(v::card_expiration),
    // --- Personal: national identifiers ----------------------------------------------
    spec("USA_SOCIAL_SECURITY_NUMBER", P, r"\b\d{3}[- ]\d{2}[- ]\d{4}\b|\b\d{9}\b").kw(SSN).check(v::us_ssn),
    spec("USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", P, r"\b9\d{2}[- ]?\d{2}[- ]?\d{4}\b").kw(ITIN).check(v::us_itin),
    spec("CANADA_SOCIAL_INSURANCE_NUMBER", P, r"\b\d{3}[- ]?\d{3}[- ]?\d{3}\b").kw(SIN).check(v::canada_sin),
    spec("UK_NATIONAL_INSURANCE_NUMBER", P, r"\b[A-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b").kw(NINO).check(v::uk_nino),
    spec("UK_ELECTORAL_ROLL_NUMBER", P, r"\b[A-Z]{2,3}\d{1,4}\b").kw(ELECTORAL),
    spec("UK_TAX_IDENTIFICATION_NUMBER", P, r"\b\d{5}[ ]?\d{5}\b").kw(TAX),
    spec("INDIA_AADHAAR_NUMBER", P, r"\b[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}\b").kw(AADHAAR).check(v::aadhaar),
    spec("INDIA_PERMANENT_ACCOUNT_NUMBER", P, r"\b[A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}[A-Z]\b").kw(TAX),
    spec("SPAIN_DNI_NUMBER", P, r"\b\d{8}[- ]?[A-Z]\b").kw(NATIONAL_ID).check(v::spanish_dni_nie),
    spec("SPAIN_NIE_NUMBER", P, r"\b[XYZ][- ]?\d{7}[- ]?[A-Z]\b").kw(TAX).check(v::spanish_dni_nie),
    spec("SPAIN_NIF_NUMBER", P, r"\b\d{8}[- ]?[A-Z]\b|\b[XYZ]\d{7}[A-Z]\b|\b[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]\b").kw(TAX).check(spain_nif),
    spec("SPAIN_SOCIAL_SECURITY_NUMBER", P, r"\b\d{2}[ /]?\d{8}[ /]?\d{2}\b").kw(NSS).check(v::spanish_nss),
    spec("FRANCE_NATIONAL_IDENTIFICATION_NUMBER", P, r"\b\d{12}\b|\b[A-Z0-9]{9}\b").kw(NATIONAL_ID).check(has_digit),
    spec("FRANCE_TAX_IDENTIFICATION_NUMBER", P, r"\b[0-3]\d[ ]?\d{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}\b").kw(TAX).check(v::french_tax_id),
    spec("GERMANY_NATIONAL_IDENTIFICATION_NUMBER", P, r"\b[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\b").kw(NATIONAL_ID).check(has_digit),
    spec("GERMANY_TAX_IDENTIFICATION_NUMBER", P, r"\b[1-9]\d[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}\b").kw(TAX).check(v::german_tax_id),
    spec("ITALY_NATIONAL_IDENTIFICATION_NUMBER", P, r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b").kw(NATIONAL_ID).check(v::italian_codice_fiscale),
    spec("BRAZIL_CPF_NUMBER", P, r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b").kw(TAX).check(v::brazil_cpf),
    spec("BRAZIL_CNPJ_NUMBER", P, r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b").kw(TAX).check(v::brazil_cnpj),
    spec("BRAZIL_RG_NUMBER", P, r"\b\d{2}\.?\d{3}\.?\d{3}-?[0-9Xx]\b").kw(NATIONAL_ID),
    spec("AUSTRALIA_TAX_FILE_NUMBER", P, r"\b\d{3}[ ]?\d{3}[ ]?\d{3}\b").kw(TAX).check(v::australia_tfn),
    // --- Personal: the Americas -------------------------------------------------------
    // A NIT body of variable length is matched either up to a separated check digit or as
    // one run of digits: an optional separator would let the match stop one digit short,
    // before `-D`, and check the wrong split.
    spec("ARGENTINA_DNI_NUMBER", P, r"\b\d{1,2}\.?\d{3}\.?\d{3}\b").kw(AR_DNI).check(not_repeated),
    spec("ARGENTINA_TARJETA_SUBE", P, r"\b6061[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}\b").kw(AR_SUBE).check(not_repeated),
    spec("ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", P, r"\b2[0347][ \-]?\d{2}\.?\d{3}\.?\d{3}[ \-]?\d\b").kw(AR_CUIT).check(v::argentina_individual_cuit),
    spec("ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER", P, r"\b3[034][ \-]?\d{2}\.?\d{3}\.?\d{3}[ \-]?\d\b").kw(AR_CUIT).check(v::argentina_organization_cuit),
    spec("BRAZIL_CEP_CODE", P, r"\b\d{5}-\d{3}\b").kw(BR_CEP),
    spec("CANADA_NATIONAL_IDENTIFICATION_NUMBER", P, r"\b\d{2}[ \-]?\d{4}[ \-]?\d{4}\b|\b\d{4}[ \-]?\d{4}\b").kw(CA_UCI).check(not_repeated),
    spec("CHILE_RUT_NUMBER", P, r"\b(?:\d{1,2}\.?\d{3}\.?\d{3}|\d{1,3}\.?\d{3})-?[0-9Kk]\b").kw(CL_RUT).check(v::chile_rut),
    spec("COLOMBIA_CITIZENSHIP_CARD_NUMBER", P, r"\b\d{1,3}(?:\.\d{3}){1,3}\b|\b\d{6,10}\b").kw(CO_CEDULA).check(v::colombia_cedula),
    spec("COLOMBIA_INDIVIDUAL_NIT_NUMBER", P, r"\b\d{1,3}(?:\.?\d{3}){1,3}[ \-]\d\b|\b\d{7,11}\b").kw(CO_NIT).check(v::colombia_individual_nit),
    spec("COLOMBIA_ORGANIZATION_NIT_NUMBER", P, r"\b[89]\d{2}\.?\d{3}\.?\d{3}[ \-]?\d\b").kw(CO_NIT).check(v::colombia_organization_nit),
    spec("MEXICO_CURP_NUMBER", P, r"\b[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d\b").kw(MX_CURP).check(v::mexico_curp),
    spec("MEXICO_INDIVIDUAL_RFC_NUMBER", P, r"\b[A-Z][A-ZÑ&]{3}[ \-]?\d{6}[ \-]?[A-Z0-9]{2}[0-9A]\b").kw(MX_RFC).check(v::mexico_individual_rfc),
    spec("MEXICO_ORGANIZATION_RFC_NUMBER", P, r"\b[A-Z][A-ZÑ&]{2}[ \-]?\d{6}[ \-]?[A-Z0-9]{2}[0-9A]\b").kw(MX_RFC).check(v::mexico_organization_rfc),
    // --- Personal: passports ----------------------------------------------------------
    spec("USA_PASSPORT_NUMBER", P, r"\b[A-Z]?\d{8,9}\b").kw(PASSPORT),
    spec("CANADA_PASSPORT_NUMBER", P, r"\b[A-Z]{2}\d{6}\b").kw(PASSPORT),
    spec("FRANCE_PASSPORT_NUMBER", P, r"\b\d{2}[A-Z]{2}\d{5}\b").kw(PASSPORT),
    spec("GERMANY_PASSPORT_NUMBER", P, r"\b[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}\b").kw(PASSPORT).check(has_digit),
    spec("ITALY_PASSPORT_NUMBER", P, r"\b[A-Z]{2}\d{7}\b").kw(PASSPORT),
    spec("SPAIN_PASSPORT_NUMBER", P, r"\b[A-Z]{2,3}\d{6}\b").kw(PASSPORT),
    spec("UK_PASSPORT_NUMBER", P, r"\b\d{9}\b|\b[A-Z]{2}\d{7}\b").kw(PASSPORT),
    // --- Personal: driver's licences --------------------------------------------------
    spec("DRIVERS_LICENSE", P, r"\b[A-Z]?\d{6,12}\b|\b[A-Z]\d{3}[- ]\d{3}[- ]\d{2,3}(?:[- ]\d{1,3})?\b").kw(DL),
    spec("AUSTRALIA_DRIVERS_LICENSE", P, r"\b\d{8,10}\b|\b[A-Z]{1,2}\d{5,8}\b").kw(DL),
    spec("AUSTRIA_DRIVERS_LICENSE", P, r"\b\d{8}\b").kw(DL),
    spec("BELGIUM_DRIVERS_LICENSE", P, r"\b\d{10}\b").kw(DL),
    spec("BULGARIA_DRIVERS_LICENSE", P, r"\b\d{9}\b").kw(DL),
    spec("CANADA_DRIVERS_LICENSE", P, r"\b[A-Z]\d{4}[- ]?\d{5}[- ]?\d{5}\b|\b[A-Z]\d{6,8}\b").kw(DL),
    spec("CROATIA_DRIVERS_LICENSE", P, r"\b\d{8}\b").kw(DL),
    spec("CYPRUS_DRIVERS_LICENSE", P, r"\b\d{12}\b").kw(DL),
    spec("CZECHIA_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{6}\b").kw(DL),
    spec("DENMARK_DRIVERS_LICENSE", P, r"\b\d{8}\b").kw(DL),
    spec("ESTONIA_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{6}\b").kw(DL),
    spec("FINLAND_DRIVERS_LICENSE", P, r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b").kw(DL),
    spec("FRANCE_DRIVERS_LICENSE", P, r"\b\d{12}\b|\b\d{2}[A-Z]{2}\d{5}\b").kw(DL),
    spec("GERMANY_DRIVERS_LICENSE", P, r"\b[A-Z0-9]\d{2}[A-Z0-9]{6}\d[A-Z0-9]\b").kw(DL),
    spec("GREECE_DRIVERS_LICENSE", P, r"\b\d{9}\b").kw(DL),
    spec("HUNGARY_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{6}\b").kw(DL),
    spec("INDIA_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{2}[- ]?\d{11}\b").kw(DL),
    spec("IRELAND_DRIVERS_LICENSE", P, r"\b\d{6}[A-Z]{4}\b|\b\d{3}-?\d{3}-?\d{3}\b").kw(DL),
    spec("ITALY_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{7}[A-Z]\b|\bU1[A-Z0-9]{7}[A-Z]\b").kw(DL),
    spec("LATVIA_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{6}\b").kw(DL),
    spec("LITHUANIA_DRIVERS_LICENSE", P, r"\b\d{8}\b").kw(DL),
    spec("LUXEMBOURG_DRIVERS_LICENSE", P, r"\b\d{6}\b").kw(DL),
    spec("MALTA_DRIVERS_LICENSE", P, r"\b\d{7}[A-Z]\b|\b\d{6,7}\b").kw(DL),
    spec("NETHERLANDS_DRIVERS_LICENSE", P, r"\b\d{10}\b").kw(DL),
    spec("POLAND_DRIVERS_LICENSE", P, r"\b\d{5}/\d{2}/\d{4}\b").kw(DL),
    spec("PORTUGAL_DRIVERS_LICENSE", P, r"\b[A-Z]{1,2}-?\d{6}[ ]?\d\b").kw(DL),
    spec("ROMANIA_DRIVERS_LICENSE", P, r"\b[A-Z]\d{8}\b").kw(DL),
    spec("SLOVAKIA_DRIVERS_LICENSE", P, r"\b[A-Z]{2}\d{6}\b").kw(DL),
    spec("SLOVENIA_DRIVERS_LICENSE", P, r"\b\d{8}\b").kw(DL),
    spec("SPAIN_DRIVERS_LICENSE", P, r"\b\d{8}[- ]?[A-Z]\b").kw(DL).check(v::spanish_dni_nie),
    spec("SWEDEN_DRIVERS_LICENSE", P, r"\b\d{6}[-+]?\d{4}\b").kw(DL).check(v::luhn),
    spec("UK_DRIVERS_LICENSE", P, r"\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b").kw(DL),
    // --- Personal: health (PHI) -------------------------------------------------------
    spec("US_DRUG_ENFORCEMENT_AGENCY_NUMBER", P, r"\b[A-Z]{2}\d{7}\b").kw(DEA_KW).check(v::dea),
    spec("USA_HEALTH_INSURANCE_CLAIM_NUMBER", P, r"\b\d{3}-?\d{2}-?\d{4}[A-Z][0-9A-Z]?\b").kw(HICN),
    spec("USA_MEDICARE_BENEFICIARY_IDENTIFIER", P, r"\b[1-9][A-Z][0-9A-Z]\d-?[A-Z][0-9A-Z]\d-?[A-Z]{2}\d{2}\b").kw(HEALTH).check(v::us_mbi),
    spec("USA_HEALTHCARE_PROCEDURE_CODE", P, r"\b[A-V]\d{4}\b").kw(HCPCS),
    spec("USA_NATIONAL_DRUG_CODE", P, r"\b\d{4}-\d{4}-\d{2}\b|\b\d{5}-\d{3}-\d{2}\b|\b\d{5}-\d{4}-\d{1,2}\b").kw(NDC),
    spec("USA_NATIONAL_PROVIDER_IDENTIFIER", P, r"\b[12]\d{9}\b").kw(NPI_KW).check(v::npi),
    spec("CANADA_HEALTH_NUMBER", P, r"\b\d{4}[- ]?\d{3}[- ]?\d{3}\b").kw(HEALTH),
    spec("EUROPEAN_HEALTH_INSURANCE_CARD_NUMBER", P, r"\b80\d{18}\b").kw(HEALTH),
    spec("FINLAND_EUROPEAN_HEALTH_INSURANCE_NUMBER", P, r"\b80246\d{15}\b").kw(HEALTH),
    spec("FRANCE_HEALTH_INSURANCE_NUMBER", P, r"\b[12378][ ]?\d{2}[ ]?\d{2}[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2}\b").kw(HEALTH).check(v::french_nir),
    spec("UK_NHS_NUMBER", P, r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b").kw(HEALTH).check(v::uk_nhs),
    // --- Personal: contact, dates, places, devices ------------------------------------
    spec("PHONE_NUMBER", P, r"(?:\+1[ .\-]?)?\(?\b[2-9]\d{2}\)?[ .\-]?[2-9]\d{2}[ .\-]\d{4}\b").kw(PHONE),
    spec("UK_PHONE_NUMBER", P, r"(?:\+44[ ]?\(?0?\)?[ ]?|\b0)(?:\d{2}[ ]?\d{4}[ ]?\d{4}|\d{3}[ ]?\d{3}[ ]?\d{4}|\d{4}[ ]?\d{6}|7\d{3}[ ]?\d{6})\b").kw(PHONE),
    spec("FRANCE_PHONE_NUMBER", P, r"(?:\+33[ .]?|\b0)[1-9](?:[ .\-]?\d{2}){4}\b").kw(PHONE),
    spec("GERMANY_PHONE_NUMBER", P, r"(?:\+49[ ]?|\b0)[1-9]\d{1,4}[ /\-]?\d{3,8}\b").kw(PHONE),
    spec("ITALY_PHONE_NUMBER", P, r"(?:\+39[ ]?)?\b(?:3\d{2}[ ]?\d{6,7}|0\d{1,3}[ ]?\d{6,8})\b").kw(PHONE),
    spec("SPAIN_PHONE_NUMBER", P, r"(?:\+34[ ]?)?\b[6789]\d{2}[ ]?\d{3}[ ]?\d{3}\b").kw(PHONE),
    spec("BRAZIL_PHONE_NUMBER", P, r"(?:\+55[ ]?)?\(?\b\d{2}\)?[ ]?9?\d{4}-?\d{4}\b").kw(PHONE),
    spec("DATE_OF_BIRTH", P, r"\b(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b|\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)?\d{2}\b").kw(DOB).check(v::plausible_date),
    spec("LATITUDE_LONGITUDE", P, r"-?\b(?:[1-8]?\d)\.\d{4,10},\s?-?(?:1[0-7]\d|\d{1,2})\.\d{4,10}\b").check(v::lat_long).digit_run(g::DECIMALS).not_recommended(),
    spec("HTTP_COOKIE", P, r"(?i:\bset-cookie|\bcookie):\s*[A-Za-z0-9_.\-]+=[^\s;]{8,}").anchors(&["cookie"], 4, false).not_recommended(),
    spec("VEHICLE_IDENTIFICATION_NUMBER", P, r"\b[A-HJ-NPR-Z0-9]{17}\b").kw(VIN_KW).check(v::vin),
    spec("NAME", P, r"(?i:\b(?:name|full name|first name|last name|surname|nom|nombre|vorname|nachname|cognome))\s*[:=]\s*(?P<v>[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,3})\b").anchors(&["name", "nom", "nombre", "surname", "vorname", "nachname", "cognome"], 6, true).not_recommended(),
    spec("ADDRESS", P, r"\b\d{1,5}[ ](?:[A-Z][a-z]+[ ]){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square)\b\.?(?:,?[ ](?:Apt|Suite|Unit)\.?[ ]\w+)?").digit_run(g::HOUSE_NUMBER).not_recommended(),
    // --- China (Arca additions) ------------------------------------------------------
    spec("CHINA_RESIDENT_IDENTITY_CARD_NUMBER", P, r"\b[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]\b").check(v::china_resident_id).digit_run(g::RESIDENT_ID),
    spec("CHINA_UNIFIED_SOCIAL_CREDIT_CODE", P, r"\b[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b").kw(CHINA_USCC).check(v::china_uscc),
    spec("CHINA_PHONE_NUMBER", P, r"(?:\+86[ \-]?)?\b1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}\b").kw(PHONE),
    spec("CHINA_UNIONPAY_CARD_NUMBER", F, r"\b62\d{2}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4,7}\b").kw(CARD).check(v::unionpay),
];

const _: &[&str] = SECRET_WORDS;
const _: &[&str] = CHINA_ID;
const _: &[&str] = IBAN_KW;
const _: &[&str] = COOKIE_KW;

/// Former Arca ids still accepted in INCLUDE and EXCLUDE lists, with the Macie id that
/// replaced them.
const ALIASES: &[(&str, &str)] = &[("USA_PHONE_NUMBER", "PHONE_NUMBER")];

/// The catalog id that `id` names: itself, or the Macie id of a former Arca alias.
pub fn canonical_id(id: &str) -> &str {
    ALIASES.iter().find(|(alias, _)| *alias == id).map_or(id, |(_, canonical)| canonical)
}

/// Ids of the catalog entries.
pub fn managed_ids() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|spec| spec.id)
}

fn aws_secret_shape(text: &str) -> bool {
    // AWS documentation's example keys are not findings.
    if text.contains("EXAMPLE") {
        return false;
    }
    let has_lower = text.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = text.chars().any(|c| c.is_ascii_uppercase());
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    ((has_lower && has_upper) || (has_digit && (has_lower || has_upper)))
        && v::shannon_entropy(text) > 3.5
}

fn aws_key_id(text: &str) -> bool {
    // Documentation example keys are not findings.
    !text.ends_with("EXAMPLE") && !text.contains("XXXX")
}

/// Vendors whose only live token format carries a prefix that Arca detects on its own,
/// with that prefix. A value assigned to a key naming the vendor without the prefix is a
/// retired format: npm revoked every classic token (the UUID-shaped legacy ones included)
/// in 2025, leaving only `npm_` granular tokens, which NPM_TOKEN detects.
const PREFIXED_ONLY_VENDORS: &[(&str, &str)] = &[("npm", "npm_")];

/// A generic secret assigned to a key such as `NPM_TOKEN` is left to the vendor's own
/// identifier when the vendor has retired every unprefixed format.
fn not_retired_vendor_format(lead: &str, value: &str) -> bool {
    let key = lead
        .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .find(|part| part.chars().any(|c| c.is_ascii_alphabetic()));
    let Some(key) = key else { return true };
    let key_words: Vec<String> = key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    !PREFIXED_ONLY_VENDORS.iter().any(|(vendor, prefix)| {
        key_words.iter().any(|word| word == vendor) && !value.starts_with(prefix)
    })
}

/// A password in a connection string: a value, and not a documentation stand-in such as
/// `myPassword` or a template (`#{...}`).
fn connection_password(text: &str) -> bool {
    let lower = text.trim().to_ascii_lowercase();
    real_password(&lower) && !lower.contains("password") && !lower.starts_with("#{")
}

/// A password in a URL or on a command line that is a value, not a variable (`$PW`,
/// `${PW}`, `%PW%`, `<password>`) or a stand-in word.
fn real_password(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    !(lower.starts_with('$')
        || lower.starts_with('{')
        || lower.starts_with('<')
        || lower.starts_with('%')
        || lower == "password"
        || lower == "pass"
        || lower == "***"
        || lower.contains("xxx")
        || lower == "secret"
        || lower.starts_with("your")
        || lower.starts_with("pass@"))
}

/// A number with no check digit is still not a finding when it is one repeated digit
/// (`00000000`, `11.111.111`): such values are fillers and test data.
fn not_repeated(text: &str) -> bool {
    let ds = v::digits(text);
    ds.windows(2).any(|pair| pair.first() != pair.get(1))
}

fn has_digit(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text.chars().filter(char::is_ascii_digit).count() >= 4
}

fn spain_nif(text: &str) -> bool {
    v::spanish_dni_nie(text) || v::spanish_cif(text)
}

fn fr_bank(text: &str) -> bool {
    v::national_bank_account(text, "FR")
}
fn de_bank(text: &str) -> bool {
    v::national_bank_account(text, "DE")
}
fn it_bank(text: &str) -> bool {
    v::national_bank_account(text, "IT")
}
fn es_bank(text: &str) -> bool {
    v::national_bank_account(text, "ES")
}
fn gb_bank(text: &str) -> bool {
    let chars = v::alnum_upper(text);
    if chars.first() == Some(&'G') { v::iban(text) } else { chars.len() == 14 }
}
