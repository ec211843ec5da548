"""Every write a person or partner system can cause, one function per domain verb.

intake.py     referral_receive (web form and partner API alike)
screening.py  screening_propose, screening_approve, screening_return, referral_close
people.py     person_merge, relationship_record
feedback.py   feedback_give, feedback_acknowledge (practice hub feedback to the referrer)
"""
