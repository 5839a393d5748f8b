#include "quantize/metadata.hpp"

namespace quantize {

const char* profile_action_name(ProfileAction action) {
    switch (action) {
        case ProfileAction::keep:
            return "keep";
        case ProfileAction::srgb:
            return "srgb";
        case ProfileAction::drop:
            return "drop";
    }
    return "?";
}

std::optional<ProfileAction> parse_profile_action(std::string_view name) {
    for (const ProfileAction action :
         {ProfileAction::keep, ProfileAction::srgb, ProfileAction::drop}) {
        if (name == profile_action_name(action))
            return action;
    }
    return std::nullopt;
}

}  // namespace quantize
