// The ISO 4217 currency codes a billing row may carry (docs/decisions.md, "Input"). A fixed list in
// the repository rather than `Intl.supportedValuesOf('currency')`, whose answer depends on the ICU
// version Node was built with: the same file must be accepted or refused on every machine. Copied
// once from CLDR 46 (the ISO 4217 list of current codes, plus the few withdrawn since 2023 that
// historical billing still holds: HRK, SLL, ZWL, CUC, ANG). A dataset may add codes of its own
// with `extra_currencies:` in dataset.yaml (a test code like XTS, a private token).
const CODES = `
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO
NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL
SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST
XAF XCD XCG XDR XOF XPF XSU YER ZAR ZMW ZWG ZWL
`;

export const ISO_4217_CODES: ReadonlySet<string> = new Set(CODES.trim().split(/\s+/));
