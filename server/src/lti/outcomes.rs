//! Grade passback (Open edX `outcomes`): the IMS POX `replaceResultRequest` message and the
//! check of the consumer's answer. A decision or an expiry queues the passback through the
//! event bus (`reactions::lti_passback`); the sending is the job `jobs::lti_outcome`.

use quick_xml::{Reader, escape::escape, events::Event};

/// The score of a verified learner.
pub const VERIFIED: &str = "1.0";
/// The score of a learner who is not (denied, or expired).
pub const NOT_VERIFIED: &str = "0.0";

/// The `replaceResultRequest` document for `sourcedid` and `score` (LTI 1.1 §6).
pub fn replace_result_xml(message_id: &str, sourcedid: &str, score: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <imsx_POXEnvelopeRequest xmlns=\"http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0\">\
         <imsx_POXHeader><imsx_POXRequestHeaderInfo><imsx_version>V1.0</imsx_version>\
         <imsx_messageIdentifier>{}</imsx_messageIdentifier></imsx_POXRequestHeaderInfo></imsx_POXHeader>\
         <imsx_POXBody><replaceResultRequest><resultRecord><sourcedGUID><sourcedId>{}</sourcedId></sourcedGUID>\
         <result><resultScore><language>en</language><textString>{}</textString></resultScore></result>\
         </resultRecord></replaceResultRequest></imsx_POXBody></imsx_POXEnvelopeRequest>",
        escape(message_id),
        escape(sourcedid),
        escape(score)
    )
}

/// Whether the consumer's answer says `imsx_codeMajor` = `success` (Open edX
/// `check_replace_result_response`); any other answer, or none, is a failure.
pub fn is_success(response: &str) -> bool {
    let mut reader = Reader::from_str(response);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"imsx_codeMajor" => {
                let end = e.name().as_ref().to_vec();
                return reader
                    .read_text(quick_xml::name::QName(&end))
                    .map(|t| String::from_utf8_lossy(&t.into_inner()).trim() == "success")
                    .unwrap_or(false);
            }
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_escapes_the_sourcedid() {
        let xml = replace_result_xml("m1", "a<b&\"c", VERIFIED);
        assert!(xml.contains("<sourcedId>a&lt;b&amp;&quot;c</sourcedId>"), "{xml}");
        assert!(xml.contains("<textString>1.0</textString>"));
        assert!(xml.contains("<imsx_messageIdentifier>m1</imsx_messageIdentifier>"));
    }

    #[test]
    fn only_success_is_success() {
        let answer = |major: &str| {
            format!(
                "<?xml version=\"1.0\"?><imsx_POXEnvelopeResponse xmlns=\"x\"><imsx_POXHeader>\
                 <imsx_POXResponseHeaderInfo><imsx_statusInfo><imsx_codeMajor>{major}</imsx_codeMajor>\
                 </imsx_statusInfo></imsx_POXResponseHeaderInfo></imsx_POXHeader></imsx_POXEnvelopeResponse>"
            )
        };
        assert!(is_success(&answer("success")));
        assert!(is_success(&answer(" success ")));
        assert!(!is_success(&answer("failure")));
        assert!(!is_success(&answer("unsupported")));
        assert!(!is_success("<html>oops</html>"));
        assert!(!is_success(""));
        assert!(is_success("<a:r xmlns:a=\"x\"><a:imsx_codeMajor>success</a:imsx_codeMajor></a:r>"));
    }
}
