// Raft quorum in the rotation simulator: no leader, no rotation; down managers demoted before
// they are removed, in an order that keeps quorum; every named node carries its role.
#include "support.hpp"

#include "rotation_internal.hpp"
#include "swarmpki/rotation.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

const Instant kNow = *parse_rfc3339("2026-11-28T22:54:07Z");

const std::string kNoLeader =
    "The swarm does not have a leader. It's possible that too few managers are online. Make sure "
    "more than half of the managers are online.";

RotationOptions cluster(std::size_t managers, std::size_t workers, std::size_t offline,
                        bool remove_offline) {
    RotationOptions o;
    o.managers = managers;
    o.workers = workers;
    o.offline = offline;
    o.remove_offline = remove_offline;
    o.seed = 42;
    o.now = kNow;
    o.threads = 2;
    return o;
}

std::vector<std::string> commands(const RemovalPlan& plan) {
    std::vector<std::string> out;
    for (const RemovalStep& s : plan.steps) out.push_back(s.command);
    return out;
}

}  // namespace

TEST_CASE("a leader needs more than half of the managers reachable", "[rotation][quorum]") {
    struct Case {
        std::size_t managers, reachable, needed;
        bool leader;
    };
    for (Case c :
         {Case{1, 1, 1, true}, Case{2, 1, 2, false}, Case{2, 2, 2, true}, Case{3, 1, 2, false},
          Case{3, 2, 2, true}, Case{4, 2, 3, false}, Case{4, 3, 3, true}, Case{5, 2, 3, false},
          Case{5, 3, 3, true}, Case{7, 4, 4, true}}) {
        RaftQuorum q{c.managers, c.reachable};
        INFO(c.managers << " managers, " << c.reachable << " reachable");
        CHECK(q.needed() == c.needed);
        CHECK(q.has_leader() == c.leader);
    }
}

TEST_CASE("removal plan: each down manager demoted then removed, the raft shrinking by one",
          "[rotation][quorum]") {
    RemovalPlan plan = plan_removals(RaftQuorum{5, 3}, {{"m1", NodeRole::manager},
                                                        {"w1", NodeRole::worker},
                                                        {"m2", NodeRole::manager}});
    CHECK(plan.keeps_quorum);
    CHECK(plan.refusal.empty());
    CHECK_FALSE(plan.performed);
    CHECK(commands(plan) == std::vector<std::string>{"docker node demote m1", "docker node rm m1",
                                                     "docker node demote m2", "docker node rm m2",
                                                     "docker node rm w1"});
    std::vector<std::size_t> raft;
    for (const RemovalStep& s : plan.steps) raft.push_back(s.raft_managers_after);
    // 5 -> 4 (3 reachable of 4: quorum 3) -> 3 (quorum 2): the engine accepts each demotion.
    CHECK(raft == std::vector<std::size_t>{4, 4, 3, 3, 3});
    CHECK(plan.steps[0].role == NodeRole::manager);
    CHECK(plan.steps[4].role == NodeRole::worker);

    RemovalPlan workers_only = plan_removals(RaftQuorum{3, 3}, {{"w1", NodeRole::worker}});
    CHECK(commands(workers_only) == std::vector<std::string>{"docker node rm w1"});
    CHECK(workers_only.steps[0].raft_managers_after == 3);
}

TEST_CASE("removal plan without a leader: nothing can be demoted or removed",
          "[rotation][quorum]") {
    RemovalPlan plan = plan_removals(RaftQuorum{3, 1}, {{"m1", NodeRole::manager},
                                                        {"m2", NodeRole::manager},
                                                        {"w1", NodeRole::worker}});
    CHECK_FALSE(plan.keeps_quorum);
    CHECK(plan.refusal == kNoLeader);
    CHECK(plan.steps.empty());
}

TEST_CASE("2 of 3 managers down: no leader, the rotation never starts (exit 2)",
          "[rotation][quorum]") {
    RotationReport r = simulate_rotation(cluster(3, 0, 2, true));
    CHECK(r.quorum.managers == 3);
    CHECK(r.quorum.reachable == 1);
    REQUIRE(r.not_started);
    CHECK(r.not_started->reason == "no-leader");
    CHECK(r.not_started->message == kNoLeader);
    CHECK(r.not_started->engine_error ==
          "Error response from daemon: rpc error: code = Unknown desc = " + kNoLeader);
    CHECK(r.not_started->remedy ==
          "bring back 1 of the 2 down managers (2 of 3 must be reachable); if they are lost for "
          "good, run `docker swarm init --force-new-cluster` on a reachable manager and add "
          "managers again. Demoting or removing the down managers needs a leader too");
    CHECK(r.not_started->down_managers.size() == 2);
    CHECK_FALSE(r.converged);
    CHECK(r.blocked_by.empty());
    CHECK(r.stranded.empty());
    CHECK(r.old_token_accepted_after);
    CHECK_FALSE(r.removal.keeps_quorum);
    CHECK(r.removal.refusal == kNoLeader);
    CHECK(r.removal.steps.empty());
    REQUIRE(r.phases.size() == 1);
    CHECK(r.phases[0].name == "initial-cluster");
    CHECK(r.phases[0].failures == 0);
    CHECK(r.engine_seconds == 0);
    CHECK(r.new_root_sha256.empty());
    CHECK_FALSE(r.old_root_sha256.empty());
    // The old root, and the starting leaves of the two nodes the class check observes: the
    // leader (old-leaf manager) and a down manager (offline class). No new root, no renewal.
    CHECK(r.crypto.keygen == 1 + 2);
    CHECK(r.crypto.sign == 1 + 2);
    CHECK(rotation_status(r) == "critical");
    CHECK(rotation_exit_code(r) == ExitCode::critical);
}

TEST_CASE("no leader stops the rotation before the operator's root is even checked",
          "[rotation][quorum]") {
    RootCa desired = create_root({}, kNow);
    Certificate short_lived = create_root_certificate(desired.key, "swarm-ca", Seconds(30 * 86400),
                                                      kNow);
    RotationOptions o = cluster(2, 3, 4, false);  // the other manager is down whatever the seed
    o.desired_cert = PemInput{short_lived.to_pem(), "short.crt"};
    o.desired_key = PemInput{encode_sec1_pem(desired.key), "short.key"};
    RotationReport r = simulate_rotation(o);
    CHECK(r.quorum.reachable == 1);
    CHECK(r.not_started);
    CHECK_FALSE(r.refusal);  // the engine never got as far as validateCAConfig
    CHECK(rotation_exit_code(r) == ExitCode::critical);
}

TEST_CASE("quorum at the boundary: 3 of 5 managers up rotate, 2 of 4 do not",
          "[rotation][quorum]") {
    RotationReport five = simulate_rotation(cluster(5, 0, 2, true));
    CHECK_FALSE(five.not_started);
    CHECK(five.converged);
    REQUIRE(five.stranded.size() == 2);
    CHECK(five.stranded[0].role == NodeRole::manager);
    CHECK(five.removal.performed);
    CHECK(five.removal.keeps_quorum);
    REQUIRE(five.removal.steps.size() == 4);
    CHECK(five.removal.steps[1].raft_managers_after == 4);
    CHECK(five.removal.steps[3].raft_managers_after == 3);

    RotationReport four = simulate_rotation(cluster(4, 0, 2, true));
    REQUIRE(four.not_started);
    CHECK(four.not_started->remedy.rfind("bring back 1 of the 2 down managers (3 of 4 must", 0) ==
          0);
}

TEST_CASE("a down manager blocks with its role and its remedy is demote, then rm",
          "[rotation][quorum]") {
    RotationReport r = simulate_rotation(cluster(3, 0, 1, false));
    CHECK(r.quorum.reachable == 2);
    CHECK_FALSE(r.not_started);
    CHECK_FALSE(r.converged);
    REQUIRE(r.blocked_by.size() == 1);
    const std::string id = r.blocked_by[0].node;
    CHECK(r.blocked_by[0].role == NodeRole::manager);
    CHECK_FALSE(r.removal.performed);
    CHECK(r.removal.keeps_quorum);
    CHECK(commands(r.removal) ==
          std::vector<std::string>{"docker node demote " + id, "docker node rm " + id});
    CHECK(rotation_exit_code(r) == ExitCode::critical);

    RotationReport removed = simulate_rotation(cluster(3, 0, 1, true));
    CHECK(removed.converged);
    REQUIRE(removed.stranded.size() == 1);
    CHECK(removed.stranded[0].node == id);  // the same seed downs the same manager
    CHECK(removed.stranded[0].role == NodeRole::manager);
    CHECK(removed.stranded[0].reason.rfind("removed while down (docker node demote, then docker "
                                           "node rm): ",
                                           0) == 0);
    CHECK(removed.stranded[0].reason.find("join again with the new manager token") !=
          std::string::npos);
    CHECK(removed.removal.performed);
    CHECK(commands(removed.removal) == commands(r.removal));
    CHECK(rotation_exit_code(removed) == ExitCode::warning);
}

TEST_CASE("down workers are removed with docker node rm alone and rejoin as workers",
          "[rotation][quorum]") {
    RotationReport r = simulate_rotation(cluster(1, 4, 2, true));  // the one manager leads
    CHECK(r.quorum.reachable == 1);
    CHECK(r.converged);
    REQUIRE(r.stranded.size() == 2);
    for (const StrandedNode& s : r.stranded) {
        CHECK(s.role == NodeRole::worker);
        CHECK(s.reason.rfind("removed while down (docker node rm): ", 0) == 0);
        CHECK(s.reason.find("join again with the new worker token") != std::string::npos);
    }
    CHECK(commands(r.removal) == std::vector<std::string>{"docker node rm " + r.stranded[0].node,
                                                          "docker node rm " + r.stranded[1].node});
    // No manager among them: no demotion, no word of quorum.
    CHECK(render_rotation_text(r).find("removed while down:\n  docker node rm " +
                                       r.stranded[0].node + "\n") != std::string::npos);
}

TEST_CASE("the seed decides which down nodes are managers, the same way every run",
          "[rotation][quorum]") {
    RotationOptions o = cluster(5, 30, 8, false);
    RotationReport a = simulate_rotation(o);
    RotationReport b = simulate_rotation(o);
    CHECK(a.quorum.reachable == b.quorum.reachable);
    CHECK(a.blocked_by == b.blocked_by);
    CHECK(commands(a.removal) == commands(b.removal));
    std::size_t down_managers = 0;
    for (const NodeRef& n : a.blocked_by) down_managers += n.role == NodeRole::manager;
    CHECK(a.quorum.reachable == 5 - down_managers);
}

TEST_CASE("rotation report names roles and quorum in text and JSON", "[rotation][quorum]") {
    RotationReport none = simulate_rotation(cluster(3, 0, 2, true));
    std::string text = render_rotation_text(none);
    CHECK(text.find("raft quorum: 1 of 3 managers reachable, 2 needed: NO LEADER\n") !=
          std::string::npos);
    CHECK(text.find("\nNOT STARTED (no-leader): " + kNoLeader +
                    "\n  Error response from daemon: "
                    "rpc error: code = Unknown desc = " +
                    kNoLeader + "\n") != std::string::npos);
    CHECK(text.find("  down manager " + none.not_started->down_managers[0] + "\n") !=
          std::string::npos);
    CHECK(text.find("  remedy: bring back 1 of the 2 down managers") != std::string::npos);
    CHECK(text.find("converged") == std::string::npos);
    CHECK(text.substr(text.size() - 17) == "status: critical\n");

    auto doc = nlohmann::json::parse(render_rotation_json(none));
    CHECK(doc["status"] == "critical");
    CHECK(doc["quorum"] ==
          nlohmann::json({{"managers", 3}, {"reachable", 1}, {"needed", 2}, {"leader", false}}));
    CHECK(doc["not_started"]["reason"] == "no-leader");
    CHECK(doc["not_started"]["message"] == kNoLeader);
    CHECK(doc["not_started"]["down_managers"].size() == 2);
    CHECK(doc["removal"]["keeps_quorum"] == false);
    CHECK(doc["removal"]["refusal"] == kNoLeader);
    CHECK(doc["converged"] == false);

    RotationReport blocked = simulate_rotation(cluster(3, 0, 1, false));
    const std::string id = blocked.blocked_by[0].node;
    std::string blocked_text = render_rotation_text(blocked);
    CHECK(blocked_text.find("  blocked by " + id + " (manager)\n") != std::string::npos);
    CHECK(blocked_text.find("  docker node demote " + id +
                            "    # raft: 2 managers, 2 needed for a leader\n  docker node rm " +
                            id + "\n") != std::string::npos);
    auto blocked_doc = nlohmann::json::parse(render_rotation_json(blocked));
    CHECK(blocked_doc["not_started"].is_null());
    CHECK(blocked_doc["blocked_by"] == nlohmann::json::array({id}));
    CHECK(blocked_doc["blocked_by_nodes"] ==
          nlohmann::json::array({{{"node", id}, {"role", "manager"}}}));
    CHECK(blocked_doc["removal"]["steps"][0] ==
          nlohmann::json({{"node", id},
                          {"role", "manager"},
                          {"command", "docker node demote " + id},
                          {"raft_managers_after", 2}}));
    CHECK(blocked_doc["removal"]["refusal"].is_null());

    RotationReport removed = simulate_rotation(cluster(3, 0, 1, true));
    auto removed_doc = nlohmann::json::parse(render_rotation_json(removed));
    CHECK(removed_doc["stranded"][0]["node"] == id);
    CHECK(removed_doc["stranded"][0]["role"] == "manager");
    CHECK(removed_doc["removal"]["performed"] == true);
    CHECK(render_rotation_text(removed).find(
              "  stranded " + id + " (manager): removed while down") != std::string::npos);
}

TEST_CASE(
    "rotate simulate --managers 3 --workers 0 --offline 2 --remove-offline: no leader, exit 2",
    "[cli][rotation][quorum]") {
    std::vector<std::string> args{"rotate",           "simulate", "--managers",          "3",
                                  "--workers",        "0",        "--offline",           "2",
                                  "--remove-offline", "--at",     "2026-11-28T22:54:07Z"};
    auto text = run_swarmpki(args);
    CHECK(text.exit_code == 2);
    CHECK(text.out.find("NOT STARTED (no-leader): " + kNoLeader) != std::string::npos);
    CHECK(text.out.find("converged") == std::string::npos);
    CHECK(text.out.find("status: critical") != std::string::npos);

    args.insert(args.end(), {"--format", "json"});
    auto json = run_swarmpki(args);
    CHECK(json.exit_code == 2);
    auto doc = json.json();
    CHECK(doc["converged"] == false);
    CHECK(doc["status"] == "critical");
    CHECK(doc["not_started"]["reason"] == "no-leader");
    CHECK(doc["not_started"]["engine_error"] ==
          "Error response from daemon: rpc error: code = Unknown desc = " + kNoLeader);
    CHECK(doc["quorum"]["leader"] == false);
    CHECK(doc["stranded"].empty());
    CHECK(doc["phases"].size() == 1);
}
